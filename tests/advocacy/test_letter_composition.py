"""How a supporter's letter is put together from the organiser's text: one opening, the
supporter's own words and one closing before the sign-off, the name and town under it."""

from __future__ import annotations

import pytest

from advocacy.letters import _CLOSINGS, _OPENINGS, _compose

DRAFTED = (  # as campaign.importer.drafting writes it, rendered
    "Dear Ms Rossi,\n\n"
    'In its "Resolution on the situation in Kazakhstan" (2022/2505(RSP)), adopted on 20 January '
    "2022, the European Parliament called on the Government of Kazakhstan to release all "
    "political prisoners.\n\n"
    "As my representative in the European Parliament, I ask you to press the Government of "
    "Kazakhstan to act on it.\n\n"
    "Yours sincerely,\n\n"
    "Dora Check\n"
    "{city}, Italy\n"
)
# An earlier draft (still stored in campaigns imported before) that opens and thanks itself.
EARLIER = (
    "Dear Ms Rossi,\n\n"
    "I am writing to you as a citizen from Italy about the European Parliament's resolution.\n\n"
    "Please act on it.\n\n"
    "Thank you for your time and for your reply.\n\n"
    "Yours sincerely,\n\n"
    "Dora Check\n"
    "{city}, Italy\n"
)


def _letter(body: str, *, city: str, note: str = "", seed: str = "s") -> str:
    return _compose(
        body=body.format(city=city),
        language="en",
        seed=seed,
        place=city,
        country_name="Italy",
        full_name="Dora Check",
        personal_note=note,
    )


def _count(text: str, lines: tuple[str, ...]) -> int:
    return sum(text.count(line.split("{place}")[0]) for line in lines)


@pytest.mark.parametrize("seed", ["a", "b", "c", "d", "e", "f"])
@pytest.mark.parametrize("city", ["Roma", ""])
def test_one_opening_and_one_closing_before_the_sign_off(seed, city):
    letter = _letter(DRAFTED, city=city, note="My brother is a journalist.", seed=seed)

    paragraphs = letter.split("\n\n")
    assert paragraphs[0] == "Dear Ms Rossi,"
    assert _count(paragraphs[1], _OPENINGS["en"]) == 1  # the opening, with the town or country
    assert (city or "Italy") in paragraphs[1]
    assert _count(letter, _OPENINGS["en"]) == 1
    assert _count(letter, _CLOSINGS["en"]) == 1
    sign_off = paragraphs.index("Yours sincerely,")
    assert paragraphs[sign_off - 1] in _CLOSINGS["en"]
    assert paragraphs[sign_off - 2] == "My brother is a journalist."
    assert paragraphs[sign_off + 1 :] == [f"Dora Check\n{city + ', ' if city else ''}Italy\n"]


def test_a_text_that_opens_and_thanks_itself_gets_neither_twice():
    letter = _letter(EARLIER, city="Roma")

    assert letter.split("\n\n")[1].startswith("I am writing to you as a citizen from Italy about")
    assert letter.count("I am writing to you") == 1
    assert _count(letter, _CLOSINGS["en"]) == 0
    assert letter.count("Thank you") == 1
    assert letter.endswith(
        "Thank you for your time and for your reply.\n\nYours sincerely,"
        "\n\nDora Check\nRoma, Italy\n"
    )


def test_a_text_without_a_sign_off_is_signed_with_the_name():
    letter = _letter("Dear Ms Rossi,\n\nPlease act.\n\nIt matters to many of us.", city="")

    assert letter.startswith("Dear Ms Rossi,\n\n")
    assert letter.endswith("\n\nDora Check\n")
    assert _count(letter, _CLOSINGS["en"]) == 1
