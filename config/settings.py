"""Resolute settings: one module, configured only through environment variables.

Environments differ only in their variables (README, "Configuration"). With nothing set,
Resolute runs on embedded defaults: SQLite, kombu's filesystem broker, SMTP to a local sink
on 127.0.0.1:1025. Production sets DEBUG=false (the default), SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL, REDIS_URL and SMTP_URL.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

if DEBUG:
    # A development key only: DEBUG is never on in production, and check --deploy warns.
    SECRET_KEY = env_str("SECRET_KEY", "dev-insecure-" + "x" * 50)
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Absolute base URL used in e-mails (confirmation and unsubscribe links).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "campaign",
    "advocacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # After SecurityMiddleware, so its answer is seen first: SecurityMiddleware only sets a
    # Referrer-Policy where none is.
    "config.middleware.TokenPagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.CommonMiddleware",  # a POST missing its slash: 308, not 301
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.nul_guard.NulGuardMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "config.errors_views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'resolute.sqlite3'}")
try:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when PostgreSQL is unreachable: a request must get its 503 quickly.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT", 3, minimum=1
    )
    # Django's backend, with a health check that skips its round trip on a quiet socket.
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    # Prepared statements: parameters travel apart from the statement, and a statement a
    # connection has run 5 times (psycopg's threshold) is prepared, so PostgreSQL stops
    # parsing and planning it again on every run: a letter's "sent" mark cost 1.0 ms of
    # PostgreSQL's CPU, 0.4 ms prepared (docs/performance.md, the eleventh round). Off for a
    # pooler that cannot carry them across server connections (PgBouncer in transaction mode
    # before 1.22, or without max_prepared_statements): Django's client-side binding then.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Zero-setup mode: web, worker and beat share one file; WAL and a busy timeout keep
    # them from tripping over each other's locks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, cache, rate limits ------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "resolute"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# What every visitor of a viral campaign reads alike (its page, the MEPs a letter can go to)
# is kept this many seconds in each web process's memory (config/memo.py). An edit clears it at
# once in the process that saved it (campaign/signals.py); other processes show it within that
# many seconds. 0 switches it off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 5, minimum=0)

# --- Celery ---------------------------------------------------------------------------------
# The outbox, not the broker, is the record: a message lost by Redis is re-enqueued by the
# sweep. So the broker only needs to be fast; at-least-once settings keep a killed worker's
# task from vanishing, and the row claim keeps a re-run from sending twice.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "resolute")
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30, minimum=1)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600, minimum=1)
# A row left in `sending` longer than this belonged to a worker that died mid-send.
OUTBOX_STALE_SENDING_SECONDS = env_int("OUTBOX_STALE_SENDING_SECONDS", 300, minimum=5)
# A due row left in `queued` longer than this lost its broker message.
OUTBOX_STALE_QUEUED_SECONDS = env_int("OUTBOX_STALE_QUEUED_SECONDS", 120, minimum=1)
OUTBOX_SWEEP_INTERVAL_SECONDS = env_int("OUTBOX_SWEEP_INTERVAL_SECONDS", 60, minimum=1)
OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 50, minimum=1)

if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Must exceed the longest countdown/ETA, or Redis re-delivers the task early.
        "visibility_timeout": OUTBOX_RETRY_MAX_SECONDS + 600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        # Why: without it kombu's `default_channel` retries a refused connection until
        # CELERY_BROKER_CONNECTION_TIMEOUT has passed, so with Redis down every publish (each
        # signing request's on-commit doorbell) blocked its web thread for 2 s (drill 4).
        # Every publish is fire-and-forget (`retry=False`, the sweep catches up), and the
        # worker's consumer passes its own retry policy, so one attempt is right here.
        "max_retries": 0,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# Publishing must not hang a web request when Redis is gone: fail fast, the sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False

# --- Webhooks -------------------------------------------------------------------------------
# Organisations' endpoints must be public https URLs unless the deployment says otherwise
# (development and tests post to 127.0.0.1).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", DEBUG)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)

# --- Mail -----------------------------------------------------------------------------------
SMTP_URL = env_str("SMTP_URL", "smtp://127.0.0.1:1025")


def _mailer_from_url(url: str) -> dict[str, object]:
    """smtp://user:pass@host:port, smtps:// (implicit TLS), smtp+starttls://, console://."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtps", "smtp+starttls"}:
        raise ImproperlyConfigured(
            f"SMTP_URL scheme {parts.scheme!r} is not one of smtp, smtps, smtp+starttls, console."
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"SMTP_URL has a malformed port: {exc}") from exc
    query = parse_qs(parts.query)
    raw_timeout = query.get("timeout", ["20"])[0]
    if not raw_timeout.isascii() or not raw_timeout.isdigit() or int(raw_timeout) < 1:
        raise ImproperlyConfigured(
            f"SMTP_URL ?timeout={raw_timeout!r} is not a whole number of seconds (at least 1)."
        )
    return {
        # Django's, with a cheaper reading of simple envelope addresses (advocacy.mime).
        "BACKEND": "advocacy.mime.SMTPBackend",
        "OPTIONS": {
            "host": parts.hostname or "127.0.0.1",
            "port": port or (465 if parts.scheme == "smtps" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": parts.scheme == "smtps",
            "use_tls": parts.scheme == "smtp+starttls",
            "timeout": int(raw_timeout),
        },
    }


MAILERS = {"default": _mailer_from_url(SMTP_URL)}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Resolute <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------------
# Secure by default; a deployment behind a TLS-terminating proxy keeps these on.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# How many reverse proxies in front of the app append to X-Forwarded-For. 0 = trust none,
# use REMOTE_ADDR: a client can then not forge its address to dodge rate limits.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# No inline scripts, no external CDN: user text can never become executable markup.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.ResoluteAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Resolute API",
    "DESCRIPTION": "Petitions and letters to MEPs, from European Parliament resolutions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN, and the CSP stays strict.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "campaign.models.CampaignStatus.choices",
        "SignatureStatusEnum": "advocacy.models.SignatureStatus.choices",
        "LetterStatusEnum": "advocacy.models.LetterStatus.choices",
        "WebhookEventEnum": "advocacy.models.WebhookEvent.choices",
        "WebhookDeliveryStatusEnum": "advocacy.models.WebhookDeliveryStatus.choices",
        "OutboundEmailStatusEnum": "advocacy.models.OutboundEmailStatus.choices",
    },
}

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
if LOG_LEVEL not in _LOG_LEVELS:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not one of {', '.join(_LOG_LEVELS)}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "config.log_redaction.TokenRedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
        },
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Supporters' link tokens never reach a log line (config/log_redaction.py).
    "filters": {"tokens": {"()": "config.log_redaction.TokenRedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["tokens"]},
        # The development server's request lines (`make run`), as Django formats them, with
        # the tokens taken out like everywhere else.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# --- Petitions (issue #4: signing, double opt-in, consent, rate limits, retention) ----------
# How long a confirmation link stays valid.
SIGNATURE_CONFIRM_MAX_AGE_DAYS = env_int("SIGNATURE_CONFIRM_MAX_AGE_DAYS", 7, minimum=1)
# Signing again while pending re-sends the confirmation at most once per this many seconds:
# a form resubmitted in a loop must not turn Resolute into a mail cannon.
SIGNATURE_CONFIRMATION_RESEND_COOLDOWN_SECONDS = env_int(
    "SIGNATURE_CONFIRMATION_RESEND_COOLDOWN_SECONDS", 900, minimum=0
)
# Unconfirmed signatures (and the personal data only they justified) are deleted after this.
SIGNATURE_UNCONFIRMED_RETENTION_DAYS = env_int(
    "SIGNATURE_UNCONFIRMED_RETENTION_DAYS", 14, minimum=1
)
SIGNATURE_PURGE_INTERVAL_SECONDS = env_int("SIGNATURE_PURGE_INTERVAL_SECONDS", 3600, minimum=60)
# Data-export links sent by e-mail stay valid this long.
SUPPORTER_EXPORT_MAX_AGE_HOURS = env_int("SUPPORTER_EXPORT_MAX_AGE_HOURS", 48, minimum=1)
# Fixed-window rate limits: at most N signing attempts per window, per client IP and per
# e-mail address. Backed by the cache (Redis); fails open when Redis is down.
RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
RATELIMIT_WINDOW_SECONDS = env_int("RATELIMIT_WINDOW_SECONDS", 3600, minimum=1)
RATELIMIT_PER_IP = env_int("RATELIMIT_PER_IP", 30, minimum=1)
RATELIMIT_PER_EMAIL = env_int("RATELIMIT_PER_EMAIL", 5, minimum=1)
# Failed sign-ins to the admin: past either limit within the window, sign-ins for that name or
# from that address are refused until the window ends (advocacy/login_throttle.py).
LOGIN_FAILURES_PER_USER = env_int("LOGIN_FAILURES_PER_USER", 10, minimum=1)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 50, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=60)
# Benchmark clients (load generators) are exempt from the per-IP limit.
RATELIMIT_ALLOWED_IPS = env_list("RATELIMIT_ALLOWED_IPS", [])
# Dotted path to a callable(domain: str) -> bool that says "this domain is disposable".
DISPOSABLE_EMAIL_CHECKER = env_str(
    "DISPOSABLE_EMAIL_CHECKER", "advocacy.disposable.is_disposable_domain"
)
CELERY_EXTRA_BEAT_SCHEDULE = {
    "signature-unconfirmed-purge": {
        "task": "advocacy.tasks.signature_unconfirmed_purge_task",
        "schedule": float(SIGNATURE_PURGE_INTERVAL_SECONDS),
    },
}
# --- end Petitions ---------------------------------------------------------------------------

# --- Letters (issue #5: letters to MEPs, targeting, safe templates, delivery) ---------------
# Test mode is the default twice over: a campaign must be switched to live delivery by an
# organiser AND the deployment must allow it; otherwise letters go to the organisation's
# test address with "[TEST] " in the subject.
LETTERS_LIVE_DELIVERY_ALLOWED = env_bool("LETTERS_LIVE_DELIVERY_ALLOWED", False)
# At most this many letters per MEP per hour per campaign; the surplus is scheduled later
# (an MEP office must not get thousands of mails in a minute), never dropped.
# 0 switches pacing off (a deployment that paces elsewhere, or a benchmark).
LETTERS_PER_MEP_PER_HOUR = env_int("LETTERS_PER_MEP_PER_HOUR", 30, minimum=0)
LETTER_CONFIRM_MAX_AGE_DAYS = env_int("LETTER_CONFIRM_MAX_AGE_DAYS", 7, minimum=1)
# Letter requests never confirmed (their letters, consent, and the supporter and mail that
# only they justified) are deleted after this, by the same hourly task as signatures.
LETTER_UNCONFIRMED_RETENTION_DAYS = env_int("LETTER_UNCONFIRMED_RETENTION_DAYS", 14, minimum=1)
LETTER_BODY_MAX_LENGTH = env_int("LETTER_BODY_MAX_LENGTH", 5000, minimum=500)
LETTER_MAX_MEPS_PER_REQUEST = env_int("LETTER_MAX_MEPS_PER_REQUEST", 100, minimum=1)
LETTER_CONFIRMATION_RESEND_COOLDOWN_SECONDS = env_int(
    "LETTER_CONFIRMATION_RESEND_COOLDOWN_SECONDS", 900, minimum=0
)

# --- Outbox dispatch (bench) ------------------------------------------------------------------
# true: every outbox row publishes its own send task when its transaction commits (lowest
# latency, one broker round trip per row). false: nothing is published per row; beat runs a
# dispatcher every OUTBOX_DISPATCH_INTERVAL_SECONDS that claims due rows in batches of
# OUTBOX_BATCH_SIZE and sends each batch over one SMTP connection (docs/performance.md).
OUTBOX_PUBLISH_ON_COMMIT = env_bool("OUTBOX_PUBLISH_ON_COMMIT", True)
# How long a CDN, a browser or a web process's memory may keep the public counters API's
# answer (0: not at all).
COUNTERS_CACHE_SECONDS = env_int("COUNTERS_CACHE_SECONDS", 5, minimum=0)
OUTBOX_DISPATCH_INTERVAL_SECONDS = env_int("OUTBOX_DISPATCH_INTERVAL_SECONDS", 1, minimum=1)
if not OUTBOX_PUBLISH_ON_COMMIT:
    CELERY_EXTRA_BEAT_SCHEDULE = {
        **CELERY_EXTRA_BEAT_SCHEDULE,
        "outbox-dispatch": {
            "task": "advocacy.tasks.outbound_email_dispatch_task",
            "schedule": float(OUTBOX_DISPATCH_INTERVAL_SECONDS),
            # Ticks a busy or stopped worker could not take are dropped, not stacked up:
            # the next run claims whatever is due anyway.
            "options": {"expires": float(max(5, 3 * OUTBOX_DISPATCH_INTERVAL_SECONDS))},
        },
    }
# --- end Outbox dispatch (bench) --------------------------------------------------------------

# --- Drills (issue #7): task time limits from the environment -------------------------------
# The reliability drills shorten the hard limit to turn a stalled send into a killed worker
# child (a poison row); production may tune both. CELERY_TASK_SOFT_TIME_LIMIT=0 turns the soft
# limit off (Celery's prefork pool arms the hard limit only once the soft one has fired).
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", CELERY_TASK_TIME_LIMIT, minimum=1)
_soft_time_limit = env_int("CELERY_TASK_SOFT_TIME_LIMIT", CELERY_TASK_SOFT_TIME_LIMIT, minimum=0)
CELERY_TASK_SOFT_TIME_LIMIT = _soft_time_limit or None  # type: ignore[assignment]
# --- end Drills -------------------------------------------------------------------------------
