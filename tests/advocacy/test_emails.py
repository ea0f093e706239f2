"""Links in mails: built without resolving the URLconf per mail, identical to reverse()."""

from __future__ import annotations

import pytest
from django.urls import reverse, set_script_prefix

from advocacy.emails import absolute_url, token_url, unsubscribe_url
from advocacy.tokens import token_make, token_read

NAMES = ["advocacy:signature-confirm", "advocacy:unsubscribe", "letters:confirm"]


@pytest.fixture(autouse=True)
def _script_prefix_restored():
    yield
    set_script_prefix("/")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("object_id", [1, 987654321])
def test_a_link_is_what_reverse_gives(name, object_id):
    token = token_make(purpose="anything", object_id=object_id)
    assert token_url(name, token) == absolute_url(reverse(name, kwargs={"token": token}))


@pytest.mark.parametrize("token", ["a b", "ü", "50%", "a?b#c", "a~b"])
def test_a_token_that_needs_quoting_is_quoted_as_reverse_does(token):
    name = "advocacy:unsubscribe"
    assert token_url(name, token) == absolute_url(reverse(name, kwargs={"token": token}))


def test_a_deployment_under_a_path_prefix_gets_it_in_its_links():
    token = token_make(purpose="anything", object_id=7)
    plain = token_url("advocacy:unsubscribe", token)
    set_script_prefix("/act/")
    prefixed = token_url("advocacy:unsubscribe", token)

    assert prefixed == absolute_url(reverse("advocacy:unsubscribe", kwargs={"token": token}))
    assert "/act/" in prefixed and "/act/" not in plain


def test_an_unsubscribe_link_carries_a_token_for_its_supporter():
    url = unsubscribe_url(supporter_id=42)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert token_read(purpose="unsubscribe", token=token, max_age_seconds=60) == 42
