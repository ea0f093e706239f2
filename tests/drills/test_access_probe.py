"""Drill 10: an access probe. Every admin URL (each registered ModelAdmin's changelist, add,
change/delete/history of organisation B's objects, every custom admin URL, the dashboard and
the exports) and every API operation in the served OpenAPI schema (path parameters filled with
organisation B's ids and slugs, GET plus the documented write methods) is requested as
(i) an owner of organisation A, (ii) a viewer of A, (iii) anonymously, (iv) with A's API token.

Pass: no response contains one of B's marker strings, no B object is changed or deleted, and
the viewer changes nothing at all. Runs in-process (Django's test client: the same URLconf and
middleware as gunicorn) because it makes thousands of requests."""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from typing import Any

import pytest
from django.contrib import admin
from django.core import serializers
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, reverse
from django.utils import timezone

from advocacy.models import (
    Consent,
    Letter,
    LetterRequest,
    OutboundEmail,
    Signature,
    Supporter,
    Webhook,
)
from advocacy.outbox import outbound_email_create
from campaign.api_tokens import api_token_create
from campaign.audit import audit_record
from campaign.models import (
    ApiToken,
    AuditEntry,
    Call,
    Campaign,
    CampaignStatus,
    LetterTemplate,
    Membership,
    Organisation,
    Petition,
    Resolution,
)
from tests.drills.support import drill_print
from tests.factories import (
    CallFactory,
    CampaignFactory,
    LetterTemplateFactory,
    MembershipFactory,
    MepFactory,
    OrganisationFactory,
    PetitionFactory,
    ResolutionFactory,
    SignatureFactory,
    SupporterFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MARK = "Zq!B-marker"


def _organisation_b() -> dict[str, Any]:
    """Organisation B, every kind of object it owns carrying the marker."""
    # The organisation's name and a live campaign are public by design: no marker there.
    org = OrganisationFactory(name="Organisation B")
    resolution = ResolutionFactory(organisation=org, title=f"{MARK} resolution")
    call = CallFactory(resolution=resolution, short_title=f"{MARK} call")
    draft = CampaignFactory(
        organisation=org, call=call, title=f"{MARK} draft", status=CampaignStatus.DRAFT
    )
    PetitionFactory(campaign=draft, text=f"{MARK} petition text", consent_text=f"{MARK} c")
    # A live campaign is public by design: no marker in what the public may see.
    live = CampaignFactory(organisation=org, title="A public campaign of B")
    PetitionFactory(campaign=live)
    template = LetterTemplateFactory(campaign=draft, subject=f"{MARK} subject")
    supporter = SupporterFactory(
        organisation=org, first_name=MARK, last_name=MARK, email="zq-b-marker@b.example.net"
    )
    signature = SignatureFactory(petition=live.petition, supporter=supporter)
    for _ in range(3):  # pending signatures: counts only B's organisers may see
        SignatureFactory(petition=live.petition)
    mep = MepFactory()
    request = LetterRequest.objects.create(
        campaign=draft, supporter=supporter, consent=signature.consent, channel="api"
    )
    email = outbound_email_create(
        kind="letter",
        recipient=mep.email,
        subject=f"{MARK} letter",
        body_text=f"{MARK} body",
        organisation=org,
        campaign=draft,
        publish=False,
    )
    letter = Letter.objects.create(
        request=request,
        campaign=draft,
        supporter=supporter,
        mep=mep,
        subject=f"{MARK} letter",
        body=f"{MARK} body",
        status="queued",
        outbound_email=email,
    )
    webhook = Webhook.objects.create(
        organisation=org, url="https://zq-b-marker.example.org/hook", secret="zq-b-secret"
    )
    token, _ = api_token_create(organisation=org, name=f"{MARK} token", role="owner")
    owner = MembershipFactory(organisation=org, role="owner", user__username="zq-b-owner")
    audit_record(action="campaign.update", organisation=org, actor=owner.user, obj=draft)
    return {
        "org": org,
        "resolution": resolution,
        "call": call,
        "draft": draft,
        "live": live,
        "template": template,
        "supporter": supporter,
        "signature": signature,
        "letter": letter,
        "email": email,
        "webhook": webhook,
        "token": token,
        "membership": owner,
        "mep": mep,
    }


def _snapshot(org: Organisation) -> dict[str, str]:
    """Every row organisation B owns, serialised, keyed by model and pk."""
    querysets = [
        Organisation.objects.filter(pk=org.pk),
        Membership.objects.filter(organisation=org),
        ApiToken.objects.filter(organisation=org),
        Resolution.objects.filter(organisation=org),
        Call.objects.filter(resolution__organisation=org),
        Campaign.objects.filter(organisation=org),
        Petition.objects.filter(campaign__organisation=org),
        LetterTemplate.objects.filter(campaign__organisation=org),
        Supporter.objects.filter(organisation=org),
        Consent.objects.filter(supporter__organisation=org),
        Signature.objects.filter(petition__campaign__organisation=org),
        LetterRequest.objects.filter(campaign__organisation=org),
        Letter.objects.filter(campaign__organisation=org),
        OutboundEmail.objects.filter(organisation=org),
        Webhook.objects.filter(organisation=org),
        AuditEntry.objects.filter(organisation=org),
    ]
    rows = {}
    for queryset in querysets:
        for obj in queryset:
            rows[f"{obj._meta.label}:{obj.pk}"] = serializers.serialize("json", [obj])
    return rows


def _everything() -> dict[str, str]:
    """Every row of the product's own tables (for 'the viewer changes nothing')."""
    from django.apps import apps

    rows = {}
    for model in [
        *apps.get_app_config("campaign").get_models(),
        *apps.get_app_config("advocacy").get_models(),
    ]:
        for obj in model.objects.all():
            rows[f"{obj._meta.label}:{obj.pk}"] = serializers.serialize("json", [obj])
    return rows


def _b_ids(b: dict[str, Any]) -> dict[type, list[int]]:
    ids: dict[type, list[int]] = {}
    for obj in b.values():
        ids.setdefault(type(obj), []).append(obj.pk)
    ids.setdefault(Petition, []).extend([b["draft"].petition.pk, b["live"].petition.pk])
    ids.setdefault(Consent, []).append(b["signature"].consent_id)
    return ids


def _admin_requests(b: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, data) for every admin URL, B's ids substituted."""
    ids = _b_ids(b)
    out: list[tuple[str, str, dict[str, Any]]] = [("GET", "/admin/", {})]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pks = ids.get(model, [])
        out.append(("GET", reverse("admin:{}_{}_changelist".format(*info)), {}))
        out.append(("GET", reverse("admin:{}_{}_add".format(*info)), {}))
        out.append(("GET", reverse("admin:{}_{}_changelist".format(*info)) + "?q=marker", {}))
        for pk in pks:
            for view in ("change", "delete", "history"):
                url = reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[pk])
                out.append(("GET", url, {}))
            out.append(
                ("POST", reverse(f"admin:{info[0]}_{info[1]}_delete", args=[pk]), {"post": "yes"})
            )
            out.append(
                (
                    "POST",
                    reverse(f"admin:{info[0]}_{info[1]}_change", args=[pk]),
                    {"title": "hijacked", "name": "hijacked", "subject": "hijacked"},
                )
            )
            # Every admin action of this model on B's object.
            for action in (
                model_admin.get_actions_list()
                if hasattr(model_admin, "get_actions_list")
                else [a if isinstance(a, str) else a.__name__ for a in (model_admin.actions or [])]
            ):
                out.append(
                    (
                        "POST",
                        reverse("admin:{}_{}_changelist".format(*info)),
                        {"action": action, "_selected_action": [pk], "post": "yes"},
                    )
                )
            out.append(
                (
                    "POST",
                    reverse("admin:{}_{}_changelist".format(*info)),
                    {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
                )
            )
        standard = {"changelist", "add", "history", "delete", "change", "autocomplete"}
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            if pattern.name.rsplit("_", 1)[-1] in standard:
                continue
            try:
                out.append(("GET", reverse(f"admin:{pattern.name}"), {}))
                out.append(("POST", reverse(f"admin:{pattern.name}"), {}))
            except NoReverseMatch:
                for pk in pks or [b["draft"].pk]:
                    with contextlib.suppress(NoReverseMatch):
                        out.append(("GET", reverse(f"admin:{pattern.name}", args=[pk]), {}))
    for campaign in (b["draft"], b["live"]):
        out.append(("GET", f"/admin/dashboard/{campaign.pk}/", {}))
        for name in (
            "advocacy_signature_export",
            "advocacy_letter_export",
            "advocacy_signature_counts",
        ):
            try:
                base = reverse(f"admin:{name}")
            except NoReverseMatch:
                continue
            out.append(("GET", f"{base}?campaign={campaign.pk}", {}))
            out.append(("GET", f"{base}?campaign__id__exact={campaign.pk}", {}))
    out.append(
        (
            "GET",
            reverse("admin:campaign_lettertemplate_preview", args=[b["template"].pk])
            + f"?mep={b['mep'].pk}",
            {},
        )
    )
    return out


def _api_requests(client: Client, b: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    schema = json.loads(client.get("/api/schema/?format=json").content)
    values = {
        "slug": [b["draft"].slug, b["live"].slug],
        "id": [
            b["draft"].pk,
            b["live"].pk,
            b["template"].pk,
            b["signature"].pk,
            b["letter"].pk,
            b["webhook"].pk,
        ],
    }
    body = {
        "title": "hijacked",
        "summary": "hijacked",
        "status": "closed",
        "subject": "hijacked",
        "body": "hijacked",
        "url": "https://hijack.example.org/",
        "text": "hijacked",
        "goal": 1,
        "campaign": b["draft"].pk,
        "token": "x",
    }
    out = []
    for path, operations in schema["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        fillings = [{}]
        for name in params:
            choices = values.get(name) or values["id"]
            fillings = [{**f, name: v} for f in fillings for v in choices]
        for filling in fillings:
            url = path
            for name, value in filling.items():
                url = url.replace("{" + name + "}", str(value))
            for method in operations:
                if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                    continue
                out.append((method.upper(), url, body))
                if method.upper() == "GET":
                    out.append(("GET", url + f"?campaign={b['draft'].pk}", {}))
    return out


def _probe(client: Client, requests: list, headers: dict[str, str]) -> tuple[Counter, list]:
    statuses: Counter[str] = Counter()
    leaks = []
    for method, url, data in requests:
        if url.startswith("/api/"):
            response = client.generic(
                method,
                url,
                json.dumps(data) if data else "",
                content_type="application/json",
                headers=headers,
            )
        elif method == "POST":
            response = client.post(url, data, headers=headers)
        else:
            response = client.get(url, headers=headers)
        statuses[f"{response.status_code // 100}xx"] += 1
        content = b"".join(response) if response.streaming else response.content
        text = content.decode(errors="replace")
        if MARK in text or "zq-b" in text.lower():
            leaks.append((method, url, response.status_code))
        pending = None
        if url.endswith("/counters/") and response.status_code == 200:
            pending = json.loads(text).get("pending")
        if pending is not None:
            leaks.append((method, url, f"pending={pending}"))
    return statuses, leaks


def test_no_identity_of_organisation_a_sees_or_changes_organisation_b():
    b = _organisation_b()
    org_a = OrganisationFactory(name="A org")
    campaign_a = CampaignFactory(organisation=org_a)
    PetitionFactory(campaign=campaign_a)
    LetterTemplateFactory(campaign=campaign_a)
    owner = MembershipFactory(organisation=org_a, role="owner").user
    viewer = MembershipFactory(organisation=org_a, role="viewer").user
    _, raw_token = api_token_create(organisation=org_a, name="A token", role="owner")
    before_b = _snapshot(b["org"])

    admin_requests = _admin_requests(b)
    api_requests = _api_requests(Client(), b)
    identities: dict[str, tuple[Client, dict[str, str]]] = {}
    for name, user in (("owner of A", owner), ("viewer of A", viewer)):
        client = Client()
        client.force_login(user)
        identities[name] = (client, {})
    identities["anonymous"] = (Client(), {})
    identities["A's API token"] = (Client(), {"Authorization": f"Bearer {raw_token}"})

    report = []
    all_leaks = []
    viewer_changes = None
    for name, (client, headers) in identities.items():
        if name == "viewer of A":
            everything_before = _everything()
        statuses, leaks = _probe(client, admin_requests + api_requests, headers)
        if name == "viewer of A":
            after = _everything()
            viewer_changes = sorted(
                k
                for k in set(everything_before) | set(after)
                if everything_before.get(k) != after.get(k)
            )
        all_leaks += [(name, *leak) for leak in leaks]
        report.append(
            f"{name}: {len(admin_requests)} admin + {len(api_requests)} API requests "
            f"{dict(sorted(statuses.items()))}, {len(leaks)} leaks"
        )
    after_b = _snapshot(b["org"])
    changed_b = sorted(k for k in set(before_b) | set(after_b) if before_b.get(k) != after_b.get(k))
    drill_print(
        "access-probe",
        f"{len(admin.site._registry)} admin models; "
        + "; ".join(report)
        + f"; B's {len(before_b)} rows: {len(changed_b)} changed or deleted {changed_b[:5]}; "
        f"viewer changed {len(viewer_changes or [])} rows {(viewer_changes or [])[:5]}; "
        f"leaks {all_leaks[:40]}; at {timezone.now():%H:%M:%S}",
    )
    assert not all_leaks, all_leaks
    assert not changed_b, changed_b
    assert viewer_changes == [], viewer_changes
