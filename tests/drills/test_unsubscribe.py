"""Drill 11: RFC 8058 one-click unsubscribe against the real web process. A mail client POSTs
`List-Unsubscribe=One-Click` to the URL in the List-Unsubscribe header, without cookies or a
CSRF token: that unsubscribes. GET and HEAD (link scanners, previews) never do. A forged or
tampered token gets a 4xx and changes nothing."""

from __future__ import annotations

import re
import uuid

import pytest

from advocacy.models import Consent, ConsentPurpose, OutboundEmail, Supporter
from advocacy.signatures import CONFIRM_PURPOSE, signature_confirm, signature_create
from advocacy.tokens import token_make
from tests.drills.support import WebProcess, drill_print
from tests.factories import PetitionFactory
from tests.support import processes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ONE_CLICK = b"List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _subscribed(petition, tag: str) -> tuple[Supporter, str]:
    """A supporter who signed with organisation news, and the unsubscribe path from the
    List-Unsubscribe header of the confirmation mail the outbox holds for them."""
    result = signature_create(
        petition=petition,
        email=f"unsub-{tag}-{uuid.uuid4().hex[:6]}@example.net",
        first_name="Ana",
        last_name="Supporter",
        country="DE",
        wants_organisation_news=True,
        channel="api",
    )
    supporter = result.signature.supporter
    # The news opt-in counts once the address is proven hers (double opt-in).
    signature_confirm(token=token_make(purpose=CONFIRM_PURPOSE, object_id=result.signature.pk))
    mail = OutboundEmail.objects.get(recipient=supporter.email)
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", mail.headers["List-Unsubscribe"])
    assert url is not None
    path = "/" + url.group(1).split("://", 1)[1].split("/", 1)[1]
    return supporter, path


def _state(supporter: Supporter) -> tuple[object, bool, int]:
    supporter.refresh_from_db()
    open_news = Consent.objects.filter(
        supporter=supporter, purpose=ConsentPurpose.ORGANISATION_NEWS, withdrawn_at__isnull=True
    ).count()
    return supporter.unsubscribed_at, supporter.wants_organisation_news, open_news


def test_one_click_unsubscribe_posts_work_and_nothing_else_does():
    petition = PetitionFactory()
    web = WebProcess({"DATABASE_URL": processes.test_database_url(), "RATELIMIT_ENABLED": "false"})
    try:
        web.start()
        ana, ana_path = _subscribed(petition, "ana")
        bob, bob_path = _subscribed(petition, "bob")
        everyone_before = sorted(
            Supporter.objects.values_list("pk", "unsubscribed_at", "wants_organisation_news")
        )
        assert _state(ana) == (None, True, 1)

        # Link scanners and previews: GET (any number of times) and HEAD.
        gets = [web.fetch(ana_path)[0] for _ in range(3)]
        head = web.fetch(ana_path, method="HEAD")[0]
        after_get = _state(ana)

        # Forged tokens: ana's id signed with another key/purpose, a tampered signature, a
        # confirmation token replayed as an unsubscribe token, garbage.
        token = ana_path.rstrip("/").rsplit("/", 1)[1]
        value, _, sig = token.rpartition(":")
        forged_tokens = {
            "tampered signature": f"{value}:{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}",
            "other id, same signature": f"{bob.pk}:{token.split(':', 1)[1]}",
            "confirm token replayed": token_make(purpose="signature_confirm", object_id=ana.pk),
            "garbage": "not-a-token",
        }
        forged = {
            name: web.fetch(f"/unsubscribe/{t}/", method="POST", body=ONE_CLICK, headers=FORM)[0]
            for name, t in forged_tokens.items()
        }
        everyone_after_forged = sorted(
            Supporter.objects.values_list("pk", "unsubscribed_at", "wants_organisation_news")
        )

        # The one click: POST, form-encoded body, no cookie, no CSRF token, no Referer.
        status, headers, body = web.fetch(ana_path, method="POST", body=ONE_CLICK, headers=FORM)
        after_post = _state(ana)
        again = web.fetch(ana_path, method="POST", body=ONE_CLICK, headers=FORM)[0]
        after_again = _state(ana)
        bob_state = _state(bob)

        drill_print(
            "unsubscribe",
            f"GET ×3 → {gets}, HEAD → {head}: ana still subscribed "
            f"(unsubscribed_at={after_get[0]}, news={after_get[1]}); forged POSTs → {forged}, "
            f"supporters unchanged: {everyone_after_forged == everyone_before}; one-click POST "
            f"without cookies → {status} (set-cookie sent: {'set-cookie' in headers}), "
            f"unsubscribed_at set: {after_post[0] is not None}, news consent withdrawn: "
            f"{after_post[2] == 0}; POST again → {again}, first time kept: "
            f"{after_again[0] == after_post[0]}; bob untouched: {bob_state == (None, True, 1)}",
        )
        assert gets == [200, 200, 200] and head in {200, 405}
        assert after_get == (None, True, 1)
        assert all(400 <= code < 500 for code in forged.values()), forged
        assert everyone_after_forged == everyone_before
        assert status == 200, body[:500]
        assert after_post[0] is not None and after_post[1] is False and after_post[2] == 0
        assert again == 200 and after_again[0] == after_post[0]
        assert bob_state == (None, True, 1)
    finally:
        web.kill()
