"""What a campaign is: organisations, resolutions and their calls, campaigns, petitions,
letter templates, and the targets being lobbied (MEPs, their bodies and their votes)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from campaign.validators import validate_single_line


def _empty_list() -> list[Any]:
    return []


def _english() -> list[str]:
    return ["en"]


# --- Organisations ----------------------------------------------------------------------------


class Organisation(models.Model):
    # The display name of every From the organisation's mails carry.
    name = models.CharField(max_length=200, validators=[validate_single_line])
    slug = models.SlugField(max_length=60, unique=True)
    # Letters go out From: this address (verified by the organisation's mail provider), with
    # the supporter's name as display name; the supporter is only ever Reply-To (DMARC).
    # EmailValidator lets a quoted local part hold control characters ("a\x1eb"@…).
    sending_address = models.EmailField(validators=[validate_single_line])
    # Test mode: every letter of a campaign not switched to live delivery goes here.
    test_address = models.EmailField(validators=[validate_single_line])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationRole(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    """An organiser's role in one organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=OrganisationRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.role})"


# --- Resolutions and calls ------------------------------------------------------------------


class Resolution(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="resolutions"
    )
    procedure_reference = models.CharField(max_length=40)
    # A merge field letter subjects may use.
    title = models.CharField(max_length=500, validators=[validate_single_line])
    subject = models.CharField(max_length=300, blank=True)
    adopted_on = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=200, blank=True)
    votes_for = models.PositiveIntegerField(null=True, blank=True)
    votes_against = models.PositiveIntegerField(null=True, blank=True)
    abstentions = models.PositiveIntegerField(null=True, blank=True)
    context = models.TextField(blank=True)
    source_text = models.TextField()
    source_sha256 = models.CharField(max_length=64)
    source_url = models.URLField(max_length=500, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-adopted_on", "procedure_reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "procedure_reference"], name="resolution_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure_reference} {self.title}"


class CallKind(models.TextChoices):
    DEMAND = "demand", "Demand"
    INVESTIGATION = "investigation", "Request for investigation"
    FINANCING = "financing", "Financing"
    SANCTIONS = "sanctions", "Sanctions"
    OTHER = "other", "Other"


class Call(models.Model):
    """One thing the resolution asks of someone."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="calls")
    position = models.PositiveIntegerField()
    addressee_as_written = models.CharField(max_length=500, blank=True)
    addressees = models.JSONField(default=_empty_list, blank=True)
    action = models.TextField()
    short_title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=CallKind.choices, default=CallKind.DEMAND)
    source_sentence = models.TextField(blank=True)

    class Meta:
        ordering = ["resolution", "position"]
        constraints = [
            models.UniqueConstraint(fields=["resolution", "position"], name="call_unique_position")
        ]

    def __str__(self) -> str:
        return self.short_title


# --- Campaigns ------------------------------------------------------------------------------


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    LIVE = "live", "Live"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class Campaign(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="campaigns"
    )
    call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns"
    )
    slug = models.SlugField(max_length=80, unique=True)
    # The Subject of the confirmation mails, and a merge field letter subjects may use.
    title = models.CharField(max_length=200, validators=[validate_single_line])
    summary = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    languages = models.JSONField(default=_english)
    # Test mode is the default: letters go to the organisation's test address until an
    # organiser switches this on AND the deployment allows live delivery (a setting).
    live_delivery = models.BooleanField(default=False)
    # Hash of what the importer generated; when the current content still hashes to it, no
    # organiser has edited the draft and a revised import may update it.
    generated_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "organisation"])]

    def __str__(self) -> str:
        return self.title


class Petition(models.Model):
    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="petition")
    text = models.TextField()
    goal = models.PositiveIntegerField(default=1000)
    consent_text = models.TextField()
    consent_version = models.PositiveIntegerField(default=1)
    # Maintained counter (F() update on confirmation): a campaign page never counts rows of a
    # million-signature table.
    confirmed_count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Petition: {self.campaign}"


class LetterTemplate(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="letter_templates"
    )
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # Which MEPs this template targets; see campaign.targeting for the shape.
    targeting = models.JSONField(default=dict, blank=True)
    locked = models.BooleanField(
        default=False, help_text="Supporters may not edit the letter text."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "language"], name="letter_template_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign} [{self.language}]"


# --- Targets: MEPs, bodies, roll calls ------------------------------------------------------


class Gender(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "", "Unknown"


class Mep(models.Model):
    ep_id = models.PositiveIntegerField(unique=True, help_text="The EP's own MEP id.")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    country_code = models.CharField(max_length=2, db_index=True)
    group = models.CharField(max_length=40, blank=True, db_index=True)
    national_party = models.CharField(max_length=200, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    email = models.EmailField(blank=True)
    term = models.PositiveSmallIntegerField(help_text="The latest term the MEP sat in.")
    in_office = models.BooleanField(default=False, db_index=True)
    profile_url = models.URLField(blank=True)

    class Meta:
        ordering = ["country_code", "last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.country_code}, {self.group})"


class Mandate(models.Model):
    """An MEP's seat in one parliamentary term."""

    mep = models.ForeignKey(Mep, on_delete=models.CASCADE, related_name="mandates")
    term = models.PositiveSmallIntegerField()
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    group = models.CharField(max_length=40, blank=True)
    national_party = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mep", "term"], name="mandate_unique")]

    def __str__(self) -> str:
        return f"{self.mep} term {self.term}"


class BodyType(models.TextChoices):
    COMMITTEE = "committee", "Committee"
    DELEGATION = "delegation", "Delegation"


class Body(models.Model):
    code = models.CharField(max_length=20, unique=True)
    body_type = models.CharField(max_length=12, choices=BodyType.choices)
    name = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["body_type", "code"]
        verbose_name_plural = "bodies"

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class BodyRole(models.TextChoices):
    CHAIR = "chair", "Chair"
    VICE_CHAIR = "vice_chair", "Vice-Chair"
    MEMBER = "member", "Member"
    SUBSTITUTE = "substitute", "Substitute"


class BodyMembership(models.Model):
    mep = models.ForeignKey(Mep, on_delete=models.CASCADE, related_name="body_memberships")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships")
    term = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=12, choices=BodyRole.choices)
    start = models.DateField(null=True, blank=True)
    snapshot_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mep", "body", "term", "role"], name="body_membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mep} {self.body.code} {self.role}"


class RollCall(models.Model):
    ep_id = models.PositiveIntegerField(unique=True)
    procedure_reference = models.CharField(max_length=40, db_index=True)
    voted_at = models.DateTimeField()
    label = models.CharField(max_length=500)
    is_final_vote = models.BooleanField(default=False)
    votes_for = models.PositiveIntegerField()
    votes_against = models.PositiveIntegerField()
    abstentions = models.PositiveIntegerField()

    class Meta:
        ordering = ["voted_at"]

    def __str__(self) -> str:
        return f"{self.procedure_reference} {self.label}"


class VotePosition(models.TextChoices):
    FOR = "for", "For"
    AGAINST = "against", "Against"
    ABSTENTION = "abstention", "Abstention"


class RollCallVote(models.Model):
    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="votes")
    mep = models.ForeignKey(Mep, on_delete=models.CASCADE, related_name="votes")
    position = models.CharField(max_length=10, choices=VotePosition.choices)
    group_at_vote = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["roll_call", "mep"], name="roll_call_vote_unique"),
            models.CheckConstraint(
                condition=Q(position__in=["for", "against", "abstention"]),
                name="roll_call_vote_position_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mep} {self.position}"


# --- Organisation API tokens ----------------------------------------------------------------


class ApiToken(models.Model):
    """A bearer token for the organisation API. Only a SHA-256 of the secret is stored; the
    secret is shown once, when the token is created."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, help_text="Identifies the token.")
    key_sha256 = models.CharField(max_length=64, unique=True)
    role = models.CharField(
        max_length=10, choices=OrganisationRole.choices, default=OrganisationRole.VIEWER
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in (OrganisationRole.OWNER, OrganisationRole.EDITOR)


class AuditEntry(models.Model):
    """Who did what to which object, when, from where. Written by services, never edited."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
