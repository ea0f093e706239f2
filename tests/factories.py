"""factory_boy factories with sensible defaults; each test sets only what it is about."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from campaign import models as cm
from campaign.api_tokens import api_token_create


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    sending_address = factory.Sequence(lambda n: f"campaigns@org{n}.example.org")
    test_address = factory.Sequence(lambda n: f"test@org{n}.example.org")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"organiser{n}")
    email = factory.Sequence(lambda n: f"organiser{n}@example.org")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = cm.OrganisationRole.EDITOR


class ResolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Resolution

    organisation = factory.SubFactory(OrganisationFactory)
    procedure_reference = factory.Sequence(lambda n: f"2022/{2500 + n}(RSP)")
    title = "Resolution on the situation in Kazakhstan"
    subject = "the situation in Kazakhstan"
    adopted_on = factory.Faker("date_object")
    stage = "Text adopted by Parliament, single reading"
    votes_for = 589
    votes_against = 35
    abstentions = 47
    source_text = "…"
    source_sha256 = factory.Sequence(lambda n: f"{n:064x}")


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Call

    resolution = factory.SubFactory(ResolutionFactory)
    position = factory.Sequence(lambda n: n + 1)
    addressee_as_written = "The Government of Kazakhstan"
    addressees = factory.LazyFunction(lambda: ["Government of Kazakhstan"])
    action = "immediately release and fully rehabilitate all political prisoners"
    short_title = "Release all political prisoners in Kazakhstan"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Campaign

    organisation = factory.SubFactory(OrganisationFactory)
    call = factory.SubFactory(
        CallFactory, resolution__organisation=factory.SelfAttribute("...organisation")
    )
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    title = factory.Sequence(lambda n: f"Release all political prisoners {n}")
    summary = "The European Parliament calls on the Government of Kazakhstan to act."
    status = cm.CampaignStatus.LIVE


class PetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Petition

    campaign = factory.SubFactory(CampaignFactory)
    text = "We call on the Government of Kazakhstan to release all political prisoners."
    goal = 1000
    consent_text = "I agree that the organisation stores my name and e-mail for this petition."
    consent_version = 1


class LetterTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.LetterTemplate

    campaign = factory.SubFactory(CampaignFactory)
    language = "en"
    subject = "Please act on {{ campaign.title }}"
    body = "{{ mep.salutation }},\n\nPlease act.\n\n{{ supporter.full_name }}"
    targeting = factory.LazyFunction(lambda: {"supporter_country": True})


class MepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Mep

    ep_id = factory.Sequence(lambda n: 900000 + n)
    first_name = factory.Sequence(lambda n: f"Anna{n}")
    last_name = factory.Sequence(lambda n: f"MEPSON{n}")
    country_code = "DE"
    group = "EPP"
    gender = cm.Gender.FEMALE
    email = factory.Sequence(lambda n: f"anna{n}.mepson@europarl.example.eu")
    term = 10
    in_office = True


# --- Petitions (issue #4) -------------------------------------------------------------------


class SupporterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "advocacy.Supporter"

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"supporter{n}@example.net")
    first_name = "Ana"
    last_name = "Supporter"
    country = "DE"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "advocacy.Consent"

    supporter = factory.SubFactory(SupporterFactory)
    purpose = "signature"
    text = "I agree that the organisation stores my name and e-mail for this petition."
    version = 1
    given_at = factory.LazyFunction(timezone.now)
    channel = "page"


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "advocacy.Signature"

    petition = factory.SubFactory(PetitionFactory)
    supporter = factory.SubFactory(
        SupporterFactory, organisation=factory.SelfAttribute("..petition.campaign.organisation")
    )
    consent = factory.SubFactory(ConsentFactory, supporter=factory.SelfAttribute("..supporter"))
    status = "pending"
    country = "DE"
    channel = "page"


class LetterRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "advocacy.LetterRequest"

    campaign = factory.SubFactory(CampaignFactory)
    supporter = factory.SubFactory(
        SupporterFactory, organisation=factory.SelfAttribute("..campaign.organisation")
    )
    consent = factory.SubFactory(
        ConsentFactory, supporter=factory.SelfAttribute("..supporter"), purpose="letter"
    )
    channel = "page"


class LetterFactory(factory.django.DjangoModelFactory):
    """A letter awaiting its writer's confirmation, to a new MEP."""

    class Meta:
        model = "advocacy.Letter"

    request = factory.SubFactory(LetterRequestFactory)
    campaign = factory.SelfAttribute("request.campaign")
    supporter = factory.SelfAttribute("request.supporter")
    mep = factory.SubFactory(MepFactory)
    subject = "Please act"
    body = "My own words"


# --- Letters (issue #5): the directory around an MEP ------------------------------------------

import datetime as _dt  # noqa: E402  (kept with the factories it serves)


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Body
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n:03d}")
    body_type = cm.BodyType.DELEGATION
    name = factory.Sequence(lambda n: f"Delegation {n}")


class BodyMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.BodyMembership

    mep = factory.SubFactory(MepFactory)
    body = factory.SubFactory(BodyFactory)
    term = 10
    role = cm.BodyRole.MEMBER


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Mandate

    mep = factory.SubFactory(MepFactory)
    term = 9
    start = _dt.date(2019, 7, 2)
    end = None
    group = "EPP"


class RollCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.RollCall

    ep_id = factory.Sequence(lambda n: 500000 + n)
    procedure_reference = "2022/2505(RSP)"
    voted_at = _dt.datetime(2022, 1, 20, 14, 33, tzinfo=_dt.UTC)
    label = "Motion for a resolution - vote on the whole text (final vote)"
    is_final_vote = True
    votes_for = 589
    votes_against = 35
    abstentions = 47


class RollCallVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.RollCallVote

    roll_call = factory.SubFactory(RollCallFactory)
    mep = factory.SubFactory(MepFactory)
    position = cm.VotePosition.FOR
    group_at_vote = "EPP"


def oeil_summary(*, vote: str, call: str) -> str:
    """A short Legislative Observatory summary of another resolution than the founding one:
    a heading, the reference line, the vote sentence (`adopted …`) and the call paragraphs."""
    return (
        "# Resolution on the situation in Georgia\n\n"
        "2024/2822(RSP) - 19/09/2024 - Text adopted by Parliament, single reading\n\n"
        f"The European Parliament {vote}.\n\n{call}\n"
    )


def org_api_client(
    organisation: cm.Organisation, role: str = cm.OrganisationRole.EDITOR
) -> APIClient:
    """An API client holding a new organiser API token of `organisation` with `role`."""
    _, raw = api_token_create(organisation=organisation, name="test", role=role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client
