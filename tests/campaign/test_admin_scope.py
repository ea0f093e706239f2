"""Organisers of A never see or change B's data in the admin: not by list, not by detail,
not by guessing ids, not by filter parameters, not through autocomplete or dropdowns; and
viewers change nothing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from advocacy.models import (
    Consent,
    EmailKind,
    Letter,
    LetterRequest,
    OutboundEmail,
)
from campaign.models import AuditEntry, OrganisationRole, Resolution
from tests.factories import (
    LetterTemplateFactory,
    MembershipFactory,
    MepFactory,
    OrganisationFactory,
    PetitionFactory,
    SignatureFactory,
)


@dataclass
class World:
    objects: dict[str, Any]
    campaign: Any


def _world(organisation: Any, marker: str) -> World:
    petition = PetitionFactory(
        campaign__organisation=organisation, campaign__title=f"Campaign {marker}"
    )
    campaign = petition.campaign
    template = LetterTemplateFactory(campaign=campaign, subject=f"Subject {marker}")
    signature = SignatureFactory(petition=petition, supporter__last_name=f"Last{marker}")
    supporter = signature.supporter
    consent = Consent.objects.create(
        supporter=supporter,
        purpose="letter",
        text="ok",
        version=1,
        given_at=timezone.now(),
        channel="page",
    )
    request = LetterRequest.objects.create(
        campaign=campaign, supporter=supporter, consent=consent, channel="page"
    )
    mep = MepFactory(last_name=f"MEP{marker}")
    letter = Letter.objects.create(
        request=request,
        campaign=campaign,
        supporter=supporter,
        mep=mep,
        subject=f"Letter {marker}",
        body="Dear …",
    )
    email = OutboundEmail.objects.create(
        organisation=organisation,
        campaign=campaign,
        kind=EmailKind.LETTER,
        recipient=f"{marker.lower()}@example.org",
        sender="x@example.org",
        subject=f"Mail {marker}",
        body_text="b",
        message_id=f"<{marker}@x>",
        not_before=timezone.now(),
    )
    resolution = Resolution.objects.create(
        organisation=organisation,
        procedure_reference=f"2022/{marker}(RSP)",
        title=f"Resolution {marker}",
        source_text="t",
        source_sha256=marker,
    )
    audit = AuditEntry.objects.create(
        organisation=organisation, action=f"audit.{marker.lower()}", object_repr=marker
    )
    objects = {
        "campaign": campaign,
        "lettertemplate": template,
        "signature": signature,
        "supporter": supporter,
        "letter": letter,
        "outboundemail": email,
        "resolution": resolution,
        "auditentry": audit,
        "organisation": organisation,
    }
    return World(objects=objects, campaign=campaign)


@pytest.fixture
def worlds():
    a, b = OrganisationFactory(name="Org AAA!"), OrganisationFactory(name="Org BBB!")
    return _world(a, "AAA!"), _world(b, "BBB!")


def _login(client: Any, organisation: Any, role: str) -> Any:
    membership = MembershipFactory(organisation=organisation, role=role)
    client.force_login(membership.user)
    return membership.user


def _admin_url(obj: Any, view: str) -> str:
    meta = obj._meta
    args = [obj.pk] if view in ("change", "delete", "history") else []
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.mark.django_db
def test_an_organiser_of_a_never_sees_or_changes_bs_objects(client, worlds):
    mine, theirs = worlds
    _login(client, mine.objects["organisation"], OrganisationRole.OWNER)

    for name, obj in theirs.objects.items():
        registered = type(obj) in admin.site._registry
        assert registered, f"{name} is not in the admin"
        listing = client.get(_admin_url(obj, "changelist"))
        assert listing.status_code in (200, 302, 403), name
        assert "BBB!" not in listing.content.decode(), f"{name}: B's row in A's list"

        # Filter parameters naming B's campaign or organisation show nothing of B's.
        for param in ("campaign__id__exact", "organisation__id__exact", "campaign"):
            filtered = client.get(_admin_url(obj, "changelist"), {param: theirs.campaign.pk})
            assert "BBB!" not in filtered.content.decode(), f"{name}: leak via ?{param}"

        # Guessing ids: detail, history, change and delete all fail and change nothing.
        for view in ("change", "history", "delete"):
            response = client.get(_admin_url(obj, view))
            assert response.status_code in (302, 403, 404), f"{name} {view}"
            assert "BBB!" not in response.content.decode(), f"{name} {view}"
        client.post(_admin_url(obj, "delete"), {"post": "yes"})
        assert type(obj).objects.filter(pk=obj.pk).exists(), f"{name} was deleted"


@pytest.mark.django_db
def test_dropdowns_and_filters_list_only_the_organisers_own_campaigns(client, worlds):
    mine, theirs = worlds
    _login(client, mine.objects["organisation"], OrganisationRole.EDITOR)

    add_template = client.get(reverse("admin:campaign_lettertemplate_add"))
    assert add_template.status_code == 200
    page = add_template.content.decode()
    assert "Campaign AAA!" in page and "Campaign BBB!" not in page

    letters = client.get(reverse("admin:advocacy_letter_changelist")).content.decode()
    assert "Campaign BBB!" not in letters


@pytest.mark.django_db
def test_autocomplete_never_returns_another_organisations_campaigns(client, worlds):
    mine, _ = worlds
    _login(client, mine.objects["organisation"], OrganisationRole.EDITOR)
    for model_name in ("lettertemplate", "campaign"):
        response = client.get(
            "/admin/autocomplete/",
            {
                "term": "Campaign",
                "app_label": "campaign",
                "model_name": model_name,
                "field_name": "campaign" if model_name == "lettertemplate" else "call",
            },
        )
        assert "BBB!" not in response.content.decode()


@pytest.mark.django_db
def test_a_viewer_can_look_but_not_change(client, worlds):
    mine, _ = worlds
    _login(client, mine.objects["organisation"], OrganisationRole.VIEWER)
    campaign = mine.objects["campaign"]

    assert client.get(_admin_url(campaign, "changelist")).status_code == 200
    assert "Campaign AAA!" in client.get(_admin_url(campaign, "changelist")).content.decode()
    response = client.post(_admin_url(campaign, "change"), {"title": "Hijacked"})
    assert response.status_code in (302, 403)
    campaign.refresh_from_db()
    assert campaign.title == "Campaign AAA!"
    client.post(_admin_url(campaign, "delete"), {"post": "yes"})
    assert type(campaign).objects.filter(pk=campaign.pk).exists()
    published = client.post(
        _admin_url(campaign, "changelist"),
        {"action": "close", "_selected_action": [campaign.pk]},
    )
    assert published.status_code in (200, 302, 403)
    campaign.refresh_from_db()
    assert campaign.status != "closed"


@pytest.mark.django_db
def test_the_membership_form_offers_no_other_organisations_organisers(client):
    from tests.factories import MembershipFactory

    owner = MembershipFactory(role="owner")
    stranger = MembershipFactory(role="owner", user__username="stranger-owner")
    client.force_login(owner.user)

    page = client.get("/admin/campaign/membership/add/").content.decode()

    assert owner.user.username in page
    assert stranger.user.username not in page


@pytest.mark.django_db
def test_the_membership_form_never_offers_the_operators_or_disabled_accounts(client):
    from tests.factories import MembershipFactory, UserFactory

    owner = MembershipFactory(role="owner")
    UserFactory(username="operator-root", is_superuser=True, is_staff=True)
    UserFactory(username="gone-away", is_active=False)
    UserFactory(username="new-colleague")
    client.force_login(owner.user)

    page = client.get("/admin/campaign/membership/add/").content.decode()

    assert "new-colleague" in page
    assert "operator-root" not in page and "gone-away" not in page


@pytest.mark.django_db
def test_a_member_whose_account_was_disabled_can_still_have_their_role_changed(client):
    from campaign.models import Membership
    from tests.factories import MembershipFactory

    owner = MembershipFactory(role="owner")
    member = MembershipFactory(organisation=owner.organisation, role="editor")
    type(member.user).objects.filter(pk=member.user_id).update(is_active=False)
    client.force_login(owner.user)

    response = client.post(
        f"/admin/campaign/membership/{member.pk}/change/",
        {"user": member.user_id, "organisation": owner.organisation_id, "role": "viewer"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.get(pk=member.pk).role == "viewer"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/admin/campaign/membership/add/", {"role": "owner"}),
        ("/admin/campaign/apitoken/add/", {"name": "mine now", "role": "owner"}),
    ],
)
def test_an_editor_of_b_cannot_make_anyone_owner_of_b_or_mint_its_tokens(client, url, fields):
    # Owner of A, only an editor of B: the forms that hand out ownership (memberships, API
    # tokens) must neither offer B nor accept it when posted.
    from campaign.models import ApiToken, Membership

    mine = MembershipFactory(role=OrganisationRole.OWNER)
    user = mine.user
    b = OrganisationFactory(name="Bee")
    MembershipFactory(user=user, organisation=b, role=OrganisationRole.EDITOR)
    spare = MembershipFactory(organisation=mine.organisation, role=OrganisationRole.VIEWER).user
    client.force_login(user)

    page = client.get(url).content.decode()
    assert f'<option value="{mine.organisation.pk}"' in page
    assert f'<option value="{b.pk}"' not in page

    response = client.post(url, {"user": spare.pk, "organisation": b.pk, **fields})
    assert response.status_code in (200, 403)  # the form's error, or refused
    assert not Membership.objects.filter(organisation=b, role=OrganisationRole.OWNER).exists()
    assert not ApiToken.objects.filter(organisation=b).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "may_change"),
    [(OrganisationRole.OWNER, True), (OrganisationRole.EDITOR, False)],
)
def test_only_owners_change_the_organisations_name_and_sending_address(client, role, may_change):
    membership = MembershipFactory(role=role)
    organisation = membership.organisation
    client.force_login(membership.user)
    url = f"/admin/campaign/organisation/{organisation.pk}/change/"
    before = organisation.sending_address

    page = client.get(url)
    client.post(
        url,
        {
            "name": "Spoofed",
            "slug": organisation.slug,
            "sending_address": "ceo@bank.example",
            "test_address": "tests@example.org",
        },
    )

    organisation.refresh_from_db()
    assert page.status_code == 200  # an editor still sees the settings
    assert (organisation.sending_address == "ceo@bank.example") is may_change
    if not may_change:
        assert organisation.sending_address == before
        assert 'name="sending_address"' not in page.content.decode()


@pytest.mark.django_db
def test_a_new_api_token_is_shown_once_on_the_page_and_kept_in_no_cookie_or_session(client):
    from django.contrib.sessions.models import Session

    from campaign.api_tokens import TOKEN_PREFIX
    from campaign.models import ApiToken

    owner = MembershipFactory(role=OrganisationRole.OWNER)
    client.force_login(owner.user)

    response = client.post(
        "/admin/campaign/apitoken/add/",
        {"organisation": owner.organisation_id, "name": "CRM sync", "role": "viewer"},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    [raw] = re.findall(rf'value="({TOKEN_PREFIX}[^"]+)"', page)
    token = ApiToken.objects.get(name="CRM sync")
    assert token.key_sha256 == hashlib.sha256(raw.encode()).hexdigest()
    # Not in a messages cookie (signed, not encrypted), nor in the session's row.
    assert all(raw not in morsel.value for morsel in response.cookies.values())
    assert all(raw not in str(session.get_decoded()) for session in Session.objects.all())
    # The list it leads back to shows the prefix only.
    listing = client.get("/admin/campaign/apitoken/").content.decode()
    assert raw not in listing and token.prefix in listing
