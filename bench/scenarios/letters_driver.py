"""Driver for the letters scenario, in its own process (its settings come from its
environment, e.g. LETTERS_PER_MEP_PER_HOUR): N supporters each write to every targeted MEP of
one country through letter_request_create, then confirm through letter_request_confirm.
Prints one JSON line: letters, seconds (create + confirm), split timings."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import django


def write_and_confirm(
    campaign: Any, *, email: str, n: int, country: str, mep_ids: list[int]
) -> tuple[int, float, float]:
    """One supporter writes to `mep_ids` and confirms at once, as the letters services are
    called from the page. Returns (letters created, seconds writing, seconds confirming)."""
    from advocacy.letters import CONFIRM_PURPOSE, letter_request_confirm, letter_request_create
    from advocacy.tokens import token_make

    started = time.perf_counter()
    created = letter_request_create(
        campaign=campaign,
        email=email,
        first_name="Bench",
        last_name=f"Writer {n}",
        country=country,
        city="Ghent",
        mep_ids=mep_ids,
        consent=True,
        channel="api",
    )
    middle = time.perf_counter()
    letter_request_confirm(token=token_make(purpose=CONFIRM_PURPOSE, object_id=created.request.pk))
    return created.created, middle - started, time.perf_counter() - middle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--supporters", type=int, required=True)
    parser.add_argument("--campaign-index", type=int, default=0)
    parser.add_argument("--country", default="")
    parser.add_argument("--tag", required=True)
    # Writers running at once number their supporters apart: "Bench Writer 7" twice would
    # write the same text to the same MEPs, which the campaign takes once per MEP (the second
    # waits for the first to commit, then signs its letter with its address).
    parser.add_argument("--first", type=int, default=0, help="number of the first supporter")
    options = parser.parse_args()
    django.setup()

    from advocacy.letters import campaign_get_for_letters, letter_targets_list
    from campaign.models import Campaign, CampaignStatus

    campaigns = []
    for campaign in Campaign.objects.filter(status=CampaignStatus.LIVE).order_by("pk"):
        try:
            campaigns.append(campaign_get_for_letters(slug=campaign.slug))
        except Exception:  # noqa: S112  (not a letter campaign)
            continue
    campaign = campaigns[options.campaign_index % len(campaigns)]
    country = options.country
    if not country:
        from advocacy.letters import EU_COUNTRIES

        # The country whose targeted MEPs number closest to 20 (≈ 20,000 letters per 1,000).
        sizes = {
            code: sum(
                1 for t in letter_targets_list(campaign=campaign, country=code) if t.mep.email
            )
            for code in sorted(EU_COUNTRIES)
        }
        country = min(sizes, key=lambda code: (abs(sizes[code] - 20), code))
    targets = list(letter_targets_list(campaign=campaign, country=country))
    mep_ids = [t.mep.ep_id for t in targets]

    letters = 0
    create_seconds = confirm_seconds = 0.0
    # Wall-clock bounds of the writing, so that several drivers at once can be timed as one.
    started_at = time.time()
    for i in range(options.first, options.first + options.supporters):
        created, create, confirm = write_and_confirm(
            campaign,
            email=f"{options.tag}-{i}@bench.example.org",
            n=i,
            country=country,
            mep_ids=mep_ids,
        )
        create_seconds += create
        confirm_seconds += confirm
        letters += created
    print(
        json.dumps(
            {
                "campaign": campaign.slug,
                "campaign_id": campaign.pk,
                "country": country,
                "meps": len(mep_ids),
                "supporters": options.supporters,
                "letters": letters,
                "seconds": round(create_seconds + confirm_seconds, 2),
                "create_seconds": round(create_seconds, 2),
                "confirm_seconds": round(confirm_seconds, 2),
                "started_at": started_at,
                "ended_at": time.time(),
            }
        )
    )


if __name__ == "__main__":
    main()
