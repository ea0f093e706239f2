"""Drill 9: bad input at every door, through the real web process (gunicorn, several workers),
a real worker and SMTP server.

(a) Line breaks (CR/LF, %0d%0a in form bodies, U+2028, U+0085) in every field that reaches a
    mail header → 4xx, never 5xx, and 0 injected headers in anything the SMTP server got.
(b) XSS payloads in names, letter texts, campaign and petition texts (set through the
    organisation API) → no executable markup in any page or mail; CSP on every HTML response.
(c) Organiser templates reaching for settings, dunder attributes, {% include %}, {% load %}
    → rejected by the organisation API and by the admin.
(d) 50 concurrent signings with one address → 1 supporter, 1 signature.
(e) 40 forged X-Forwarded-For values do not escape the per-IP limit (TRUSTED_PROXY_COUNT=0).
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from email.message import EmailMessage

import pytest
from django.conf import settings
from django.test import Client

from advocacy.models import OutboundEmail, OutboundEmailStatus, Signature, Supporter
from campaign.api_tokens import api_token_create
from campaign.models import LetterTemplate
from tests.drills.support import DrillSmtpServer, WebProcess, drill_print, sweep_until
from tests.factories import (
    LetterTemplateFactory,
    MembershipFactory,
    MepFactory,
    PetitionFactory,
)
from tests.support import processes
from tests.support.clock import clear_of_window_end

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BREAKS = {
    "CRLF": "\r\nBcc: victim@evil.example",
    "LF": "\nX-Injected: yes",
    "CR": "\rX-Injected: yes",
    "U+2028": "\u2028X-Injected: yes",
    "U+0085": "\x85X-Injected: yes",
}
XSS = {
    "script": '<script>alert("xss1")</script>',
    "img": '"><img src=x onerror=alert("xss2")>',
    "svg": '<svg onload=alert("xss3")>',
    "js-url": 'javascript:alert("xss4")',
}
EXECUTABLE = re.compile(
    r"<script>alert|<img src=x onerror|<svg onload|(?:href|src|action)\s*=\s*[\"']?\s*javascript:",
    re.IGNORECASE,
)
# Every header our mails may carry: anything else in a received message was injected.
ALLOWED_HEADERS = {
    "content-type",
    "mime-version",
    "content-transfer-encoding",
    "subject",
    "from",
    "to",
    "reply-to",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "x-resolute-test-recipient",
    "x-peer",
    "x-mailfrom",
    "x-rcptto",
}


class Browser:
    """Cookies and CSRF tokens for the real web process's forms."""

    def __init__(self, web: WebProcess) -> None:
        self.web = web
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.web.base_url + path, timeout=30) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        _, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = {**fields, "csrfmiddlewaretoken": token.group(1) if token else ""}
        req = urllib.request.Request(
            self.web.base_url + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": self.web.base_url + path},
        )
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")


def _json(web: WebProcess, path: str, body: dict, *, token: str = "", method: str = "POST"):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return web.request(path, method=method, body=json.dumps(body).encode(), headers=headers)


def _header_problems(message: EmailMessage) -> list[str]:
    problems = [f"header {k!r}" for k in message if k.lower() not in ALLOWED_HEADERS]
    for key, value in message.items():
        if any(ch in str(value) for ch in "\r\n\u2028\x85"):
            problems.append(f"line break in {key}")
    return problems


def test_bad_input_at_every_door(drill_smtp: DrillSmtpServer, workers, outbox_fast):
    outbox_fast.RATELIMIT_ENABLED = False
    petition = PetitionFactory()
    campaign = petition.campaign
    slug = campaign.slug
    organisation = campaign.organisation
    mep = MepFactory(country_code="DE")
    LetterTemplateFactory(campaign=campaign)
    _, token = api_token_create(organisation=organisation, name="drill", role="editor")
    organiser = MembershipFactory(organisation=organisation, role="owner").user
    web = WebProcess(
        {
            "DATABASE_URL": processes.test_database_url(),
            "SMTP_URL": drill_smtp.url,
            "RATELIMIT_ENABLED": "false",
        },
        workers=3,
    )
    tag = uuid.uuid4().hex[:6]
    try:
        web.start()
        browser = Browser(web)
        codes: Counter[str] = Counter()

        # --- (a) header injection ------------------------------------------------------
        for kind, brk in BREAKS.items():
            for field in ("first_name", "last_name", "email"):
                value = (
                    f"a-{tag}-{kind}-{field}@example.net{brk}" if field == "email" else f"Ana{brk}"
                )
                fields = {field: value}
                if field != "email":
                    fields["email"] = f"a-{tag}-{kind}-{field}@example.net"
                status, _ = web.sign(slug, **{"email": fields.pop("email")}, **fields)
                codes[f"api-sign {status}"] += 1
                letter = {
                    "country": "DE",
                    "mep_ids": [mep.ep_id],
                    "first_name": "Ana",
                    "last_name": "Supporter",
                    "city": "Berlin",
                    "email": f"l-{tag}-{kind}-{field}@example.net",
                    "consent": True,
                    field: value,
                }
                status, _ = _json(web, f"/api/v1/campaigns/{slug}/letters/", letter)
                codes[f"api-letters {status}"] += 1
                # The petition page's form: urlencoding turns the break into %0D%0A etc.
                status, _ = browser.post_form(
                    f"/campaigns/{slug}/",
                    {
                        "first_name": "Ana",
                        "last_name": "Supporter",
                        "email": f"p-{tag}-{kind}-{field}@example.net",
                        "country": "DE",
                        "consent": "on",
                        field: value,
                    },
                )
                codes[f"page-sign {status}"] += 1
            status, _ = browser.post_form("/my-data/", {"email": f"m-{tag}@example.net{brk}"})
            codes[f"page-my-data {status}"] += 1
            status, _ = _json(
                web,
                f"/api/v1/campaigns/{slug}/letters/",
                {
                    "country": "DE",
                    "mep_ids": [mep.ep_id],
                    "first_name": "Ana",
                    "last_name": "Supporter",
                    "city": f"Berlin{brk}",
                    "email": f"c-{tag}-{kind}@example.net",
                    "consent": True,
                },
            )
            codes[f"api-letters-city {status}"] += 1
            status, _ = _json(
                web,
                "/api/v1/org/letter-templates/",
                {
                    "campaign": campaign.pk,
                    "language": "de",
                    "subject": f"Please act{brk}",
                    "body": "{{ mep.salutation }},\n\nPlease act.",
                    "targeting": {"supporter_country": True},
                },
                token=token,
            )
            codes[f"org-template-subject {status}"] += 1
        # Percent-encoded breaks inside JSON are just text; raw ones in a form are decoded.
        status, _ = web.sign(slug, f"pct-{tag}@example.net", first_name="Ana%0d%0aBcc: x@evil")
        codes[f"api-sign-percent-text {status}"] += 1
        percent_status, percent_text = status, codes.pop(f"api-sign-percent-text {status}")
        injection_codes = dict(codes)

        # Controls that must go through, so there is mail to inspect.
        assert web.sign(slug, f"ok-{tag}@example.net")[0] == 202

        # --- (b) XSS ------------------------------------------------------------------------
        xss = " ".join(XSS.values())
        status_title = _json(
            web,
            f"/api/v1/org/campaigns/{campaign.pk}/",
            {"title": f"Free them {XSS['script']}", "summary": xss},
            token=token,
            method="PATCH",
        )[0]
        status_petition = _json(
            web,
            f"/api/v1/org/campaigns/{campaign.pk}/petition/",
            {"text": xss},
            token=token,
            method="PATCH",
        )[0]
        xss_names = {}
        for name, payload in XSS.items():
            xss_names[name] = web.sign(
                slug, f"x-{tag}-{name}@example.net", first_name=payload[:100], last_name="X"
            )[0]
        letter_status = _json(
            web,
            f"/api/v1/campaigns/{slug}/letters/",
            {
                "country": "DE",
                "mep_ids": [mep.ep_id],
                "first_name": "Ana",
                "last_name": "Supporter",
                "city": "Berlin",
                "email": f"xl-{tag}@example.net",
                "consent": True,
                "personal_note": xss,
                "letters": [{"mep_id": mep.ep_id, "body": f"Dear Member,\n\n{xss}\n"}],
            },
        )[0]
        pages = [
            "/",
            f"/campaigns/{slug}/",
            f"/campaigns/{slug}/thanks/",
            f"/campaigns/{slug}/letters/",
            f"/campaigns/{slug}/letters/?country=DE",
            f"/campaigns/{slug}/letters/write/?country=DE&mep_ids={mep.ep_id}",
            f"/campaigns/{slug}/letters/sent/",
            "/my-data/",
        ]
        page_results = []
        for path in pages:
            status, headers, body = web.fetch(path)
            page_results.append(
                (path, status, "content-security-policy" in headers, EXECUTABLE.findall(body))
            )
        # Admin pages, as the organiser (in-process client: same middleware stack).
        client = Client()
        client.force_login(organiser)
        admin_paths = [
            "/admin/",
            "/admin/campaign/campaign/",
            f"/admin/campaign/campaign/{campaign.pk}/change/",
            f"/admin/dashboard/{campaign.pk}/",
            "/admin/advocacy/signature/",
            "/admin/advocacy/supporter/",
            "/admin/advocacy/letter/",
            "/admin/advocacy/outboundemail/",
            "/admin/campaign/lettertemplate/",
        ]
        admin_paths += [
            f"/admin/advocacy/supporter/{pk}/change/"
            for pk in Supporter.objects.filter(email__startswith=f"x-{tag}-").values_list(
                "pk", flat=True
            )
        ]
        for path in admin_paths:
            response = client.get(path)
            body = response.content.decode(errors="replace")
            page_results.append(
                (
                    path,
                    response.status_code,
                    "Content-Security-Policy" in response.headers,
                    EXECUTABLE.findall(body),
                )
            )

        # --- (c) template sandbox -----------------------------------------------------------
        evil_templates = {
            "settings": "{{ settings.SECRET_KEY }}",
            "dunder": "{{ mep.__class__ }}",
            "dunder-mro": "{{ mep.__class__.__mro__ }}",
            "include": "{% include 'admin/base.html' %}",
            "load": "{% load static %}{% static 'x' %}",
            "debug": "{% debug %}",
        }
        templates_before = LetterTemplate.objects.count()
        api_template_codes = {}
        admin_template_codes = {}
        for name, evil in evil_templates.items():
            api_template_codes[name] = _json(
                web,
                "/api/v1/org/letter-templates/",
                {
                    "campaign": campaign.pk,
                    "language": "fr",
                    "subject": "Please act",
                    "body": f"Dear MEP, {evil}",
                    "targeting": {"supporter_country": True},
                },
                token=token,
            )[0]
            response = client.post(
                "/admin/campaign/lettertemplate/add/",
                {
                    "campaign": campaign.pk,
                    "language": "fr",
                    "subject": f"Act {evil}",
                    "body": f"Dear MEP, {evil}",
                    "targeting": '{"supporter_country": true}',
                },
            )
            admin_template_codes[name] = (
                response.status_code,
                "errorlist" in response.content.decode(errors="replace"),
            )
        templates_after = LetterTemplate.objects.count()

        # --- (d) 50 concurrent signings, one address ----------------------------------------
        same = f"same-{tag}@example.net"
        barrier = threading.Barrier(50)
        same_codes: Counter[int] = Counter()
        lock = threading.Lock()

        def sign_same() -> None:
            barrier.wait()
            status, _ = web.sign(slug, same, timeout=60)
            with lock:
                same_codes[status] += 1

        threads = [threading.Thread(target=sign_same) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        same_supporters = Supporter.objects.filter(email=same).count()
        same_signatures = Signature.objects.filter(supporter__email=same).count()

        # --- delivery: every accepted mail, then every received header ---------------------
        worker = workers(drill_smtp.url, concurrency=2, name="bad-input")
        sweep_until(
            lambda: not OutboundEmail.objects.exclude(status=OutboundEmailStatus.SENT).exists(),
            timeout=90,
        )
        time.sleep(2)
        received = drill_smtp.received
        header_problems = [p for m in received for p in _header_problems(m)]
        mail_markup = [
            m["Message-ID"]
            for m in received
            for part in m.walk()
            if part.get_content_type() == "text/html" and EXECUTABLE.search(part.get_content())
        ]
        status_rows = dict(Counter(OutboundEmail.objects.values_list("status", flat=True)))
        web.kill()

        # --- (e) forged X-Forwarded-For -----------------------------------------------------
        limited = WebProcess(
            {
                "DATABASE_URL": processes.test_database_url(),
                "RATELIMIT_PER_IP": "10",
                "RATELIMIT_PER_EMAIL": "5",
                "TRUSTED_PROXY_COUNT": "0",
                "CACHE_KEY_PREFIX": f"drill-xff-{tag}",
            },
            name="web-xff",
        ).start()
        try:
            xff_codes: Counter[int] = Counter()
            clear_of_window_end(settings.RATELIMIT_WINDOW_SECONDS, 60)  # 40 in one window
            for i in range(40):
                status, _ = limited.sign(
                    slug,
                    f"xff-{tag}-{i}@example.net",
                    headers={
                        "X-Forwarded-For": f"203.0.113.{i + 1}",
                        "X-Real-IP": f"198.51.100.{i + 1}",
                    },
                )
                xff_codes[status] += 1
        finally:
            limited.kill()

        fivexx = {k: v for k, v in injection_codes.items() if int(k.rsplit(" ", 1)[1]) >= 500}
        not_4xx = {
            k: v for k, v in injection_codes.items() if not 400 <= int(k.rsplit(" ", 1)[1]) < 500
        }
        bad_pages = [r for r in page_results if r[1] >= 500 or not r[2] or r[3]]
        drill_print(
            "bad-input",
            f"(a) {sum(injection_codes.values())} requests with line breaks "
            f"({', '.join(BREAKS)}) in names, e-mail, city, template subject, my-data: "
            f"{dict(sorted(injection_codes.items()))} (and '%0d%0a' as text in a JSON name: "
            f"accepted, harmless); {len(received)} messages received, "
            f"{sum(len(m.keys()) for m in received)} headers parsed, "
            f"{len(header_problems)} injected/unexpected headers {header_problems[:5]}; "
            f"outbox {status_rows}. "
            f"(b) campaign PATCH {status_title}, petition PATCH {status_petition}, XSS names "
            f"{xss_names}, XSS letter {letter_status}; {len(page_results)} pages fetched "
            f"({len(pages)} public via gunicorn, {len(admin_paths)} admin as organiser), "
            f"{sum(r[2] for r in page_results)} with a CSP header, "
            f"{sum(bool(r[3]) for r in page_results)} with executable markup, problems "
            f"{bad_pages}; {len(mail_markup)} mails with executable HTML. "
            f"(c) templates via org API {api_template_codes}, via admin (status, form error) "
            f"{admin_template_codes}; templates {templates_before}→{templates_after}. "
            f"(d) 50 concurrent signings of one address on gunicorn ×3: {dict(same_codes)} → "
            f"{same_supporters} supporter, {same_signatures} signature. "
            f"(e) 40 requests with 40 forged X-Forwarded-For values, RATELIMIT_PER_IP=10: "
            f"{dict(xff_codes)}; worker alive: {worker.process.poll() is None}",
        )
        assert not fivexx and not not_4xx, injection_codes
        assert (percent_status, percent_text) == (202, 1)  # "%0d%0a" inside JSON is only text
        assert received and not header_problems
        assert status_title == 200 and status_petition == 200
        assert not bad_pages, bad_pages
        assert not mail_markup
        assert all(code == 400 for code in api_template_codes.values()), api_template_codes
        assert all(code == 200 and err for code, err in admin_template_codes.values())
        assert templates_after == templates_before
        assert same_codes == Counter({202: 50}), same_codes
        assert same_supporters == 1 and same_signatures == 1
        assert xff_codes == Counter({202: 10, 429: 30}), xff_codes
    finally:
        web.kill()
