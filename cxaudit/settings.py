"""cxaudit settings: one module, driven by environment variables (see .env.example)."""

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
# pytest imports settings before any conftest can set the environment, hence the second test.
TESTING = env_bool("CXAUDIT_TESTING", default=False) or "pytest" in sys.modules

# Commands that only read or write migration files never sign anything, so they may run on a
# machine (or in a check) that has no secret; everything else, serving above all, refuses.
_KEYLESS_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}
_KEYLESS = (
    len(sys.argv) > 1
    and Path(sys.argv[0]).name == "manage.py"
    and (sys.argv[1] in _KEYLESS_COMMANDS)
)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not TESTING and not _KEYLESS:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it (see .env.example), or set DEBUG=true for development."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "cxaudit.messaging",
    "cxaudit.accounts",
    "cxaudit.webhooks",
    "cxaudit.journeys",
    "surveys",
    "shoppers",
    "cxaudit.insights",
    "cxaudit.reportpdfs",
    "cxaudit.downloads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # An address (path or query) holding a NUL or control character is refused with 400.
    "cxaudit.textinput.TextRulesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cxaudit.urls"
WSGI_APPLICATION = "cxaudit.wsgi.application"
ASGI_APPLICATION = "cxaudit.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cxaudit.accounts.context_processors.navigation",
            ],
        },
    },
]

# DATABASE_URL selects the database; SQLite in the project folder is the embedded default.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Hand-written hot queries run through cxaudit/sqlcursor.py's server-bound cursor are
    # prepared after 5 runs (Django's own client-bound queries never are). Set false behind a
    # pooler in transaction mode that cannot keep prepared statements (PgBouncer < 1.21).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if env_bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
    )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default serves the web process and a Celery worker at once: transactions take
    # the write lock when they begin (a read-then-write transaction cannot then fail half-way
    # with "database is locked"), and a writer waits up to 20 s for another to finish.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Tests create several users per test; PBKDF2's deliberate slowness would dominate the suite.
    # Production keeps Django's default hashers.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Login throttling: lock a username from one address after N failures, for the cool-off time.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# Count the normalised identity (case and spaces ignored, as log-in does), not what was typed.
AXES_USERNAME_CALLABLE = "cxaudit.accounts.security.login_identity"
# Failed log-ins per client address (any account) before log-in from it pauses: catches one
# address trying one password on many accounts, which the per-account lockout above cannot.
CXAUDIT_LOGIN_FAILURES_PER_IP = int(env("CXAUDIT_LOGIN_FAILURES_PER_IP", "50"))
CXAUDIT_LOGIN_FAILURE_WINDOW = int(env("CXAUDIT_LOGIN_FAILURE_WINDOW", "900"))  # seconds
# Password-reset requests per normalised email and per client address, per hour.
CXAUDIT_RESET_PER_EMAIL = int(env("CXAUDIT_RESET_PER_EMAIL", "3"))
CXAUDIT_RESET_PER_IP = int(env("CXAUDIT_RESET_PER_IP", "20"))
# Shopper applications (/join/<org>/) per normalised email and per client address, per hour.
CXAUDIT_SIGNUP_PER_EMAIL = int(env("CXAUDIT_SIGNUP_PER_EMAIL", "3"))
CXAUDIT_SIGNUP_PER_IP = int(env("CXAUDIT_SIGNUP_PER_IP", "10"))
# Only trust X-Forwarded-For for the number of proxies we are told sit in front of us.
AXES_CLIENT_IP_CALLABLE = "cxaudit.accounts.security.client_ip"
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

LANGUAGE_CODE = "en-gb"
# Staff pages are in English; customers' pages follow the contact's or campaign's language
# (surveys.outreach.i18n). The catalogues live in locale/ (compiled .mo files are committed).
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Installed from the npm registry by `make assets`; never committed, never from a CDN.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: EMAIL_URL such as smtp://user:pass@host:587?tls=1, console:, or file:///path.
EMAIL_URL = env("EMAIL_URL", "console:" if DEBUG or TESTING else "smtp://localhost:25")
SITE_URL = env("SITE_URL", "http://localhost:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "cxaudit <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _email_settings(url: str) -> dict:
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parts.path or str(BASE_DIR / "sent_mail"),
        }
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme in {"smtp", "smtps"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in {"1", "true"},
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_TIMEOUT": 20,
        }
    raise ImproperlyConfigured(f"EMAIL_URL has an unknown scheme: {parts.scheme!r}")


globals().update(_email_settings(EMAIL_URL))

# Celery: Redis broker. When CELERY_TASK_ALWAYS_EAGER is on (no broker reachable in
# development), tasks run in-process; `make run` decides and says so.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = False  # opted into per task, only where the task is idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "cxaudit-test" if TESTING else "cxaudit")
CELERY_TIMEZONE = TIME_ZONE
# Periodic sweepers (the worker runs beat: scripts/run.sh). Each finds due work in the database.
CELERY_BEAT_SCHEDULE = {
    # Response imports whose worker died (stale heartbeat) or whose message was lost.
    "surveys.requeue_stalled_imports": {
        "task": "surveys.requeue_stalled_imports",
        "schedule": 60.0,
    },
    # Outbox messages whose sender was lost, whose task message was lost, or whose retry is due.
    "messaging.sweep": {
        "task": "messaging.sweep",
        "schedule": float(env("CXAUDIT_OUTBOX_SWEEP_SECONDS", "15")),
    },
}

# Health: beat records its own heartbeat as it ticks and schedules the worker's (the
# health_check task); /healthz reports both.
CXAUDIT_HEARTBEAT_SECONDS = float(env("CXAUDIT_HEARTBEAT_SECONDS", "60"))
CELERY_BEAT_SCHEDULER = "cxaudit.accounts.beat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE["accounts.health_check"] = {
    "task": "accounts.health_check",
    "schedule": CXAUDIT_HEARTBEAT_SECONDS,
    # A check nobody ran within the interval is dropped, not run late by a returning worker.
    "options": {"expires": CXAUDIT_HEARTBEAT_SECONDS},
}

CELERY_BEAT_SCHEDULE.update(
    {
        # Done action items waiting for a closed wave's figures (a lost task, a late "done").
        "insights.evaluate_closed_waves": {
            "task": "insights.evaluate_closed_waves",
            "schedule": 600.0,
        },
        # Due-in-three-days emails and daily overdue digests (idempotent per item or owner/day).
        "insights.remind_action_owners": {
            "task": "insights.remind_action_owners",
            "schedule": 3600.0,
        },
        # Mystery shops past their deadline expire; windows closing within 24 h are reminded.
        "shoppers.expire_overdue": {"task": "shoppers.expire_overdue", "schedule": 300.0},
        "shoppers.send_window_reminders": {
            "task": "shoppers.send_window_reminders",
            "schedule": 600.0,
        },
        # Customer outreach: due campaigns, lost invitation writers, expiry, due reminders.
        "surveys.outreach_tick": {
            "task": "surveys.outreach_tick",
            "schedule": float(env("CXAUDIT_OUTREACH_TICK_SECONDS", "30")),
        },
        "surveys.requeue_stalled_contact_imports": {
            "task": "surveys.requeue_stalled_contact_imports",
            "schedule": 60.0,
        },
        # PDF report card zips: expired files deleted, batches of a lost worker re-queued.
        "reportpdfs.sweep": {"task": "reportpdfs.sweep", "schedule": 60.0},
    }
)

# Customer outreach (surveys.outreach, docs/outreach.md): contacts per transaction when a
# campaign writes its invitations, the writer's lease, and attempts at personal links per client
# address per window (seconds), counted in the shared cache (CACHE_URL).
CXAUDIT_OUTREACH_BATCH = int(env("CXAUDIT_OUTREACH_BATCH", "1000"))
CXAUDIT_OUTREACH_LEASE_SECONDS = float(env("CXAUDIT_OUTREACH_LEASE_SECONDS", "120"))
CXAUDIT_OUTREACH_LINK_ATTEMPTS = int(env("CXAUDIT_OUTREACH_LINK_ATTEMPTS", "30"))
CXAUDIT_OUTREACH_LINK_WINDOW = int(env("CXAUDIT_OUTREACH_LINK_WINDOW", "600"))

# The outbox (cxaudit.messaging): every email is a row, sent by claiming tasks.
CXAUDIT_OUTBOX_BATCH = int(env("CXAUDIT_OUTBOX_BATCH", "100"))
CXAUDIT_OUTBOX_RATE = float(env("CXAUDIT_OUTBOX_RATE", "0"))
CXAUDIT_OUTBOX_LEASE_SECONDS = float(env("CXAUDIT_OUTBOX_LEASE_SECONDS", "300"))
CXAUDIT_OUTBOX_MAX_ATTEMPTS = int(env("CXAUDIT_OUTBOX_MAX_ATTEMPTS", "10"))
CXAUDIT_OUTBOX_RETRY_SECONDS = float(env("CXAUDIT_OUTBOX_RETRY_SECONDS", "30"))
CXAUDIT_OUTBOX_RETRY_CAP_SECONDS = float(env("CXAUDIT_OUTBOX_RETRY_CAP_SECONDS", "3600"))
CXAUDIT_OUTBOX_DISPATCHERS = int(env("CXAUDIT_OUTBOX_DISPATCHERS", "2"))

# Webhooks (cxaudit.webhooks, docs/webhooks.md): deliveries per claim, claim lease, attempts,
# first retry delay and cap (the outbox's backoff with jitter), senders woken by the sweeper,
# HTTP timeouts, the most of an answer read, failures in a row that disable an endpoint,
# private destinations allowed anyway (CIDRs) and extra CA certificates to trust.
CXAUDIT_WEBHOOK_BATCH = int(env("CXAUDIT_WEBHOOK_BATCH", "20"))
CXAUDIT_WEBHOOK_LEASE_SECONDS = float(env("CXAUDIT_WEBHOOK_LEASE_SECONDS", "120"))
CXAUDIT_WEBHOOK_MAX_ATTEMPTS = int(env("CXAUDIT_WEBHOOK_MAX_ATTEMPTS", "12"))
CXAUDIT_WEBHOOK_RETRY_SECONDS = float(env("CXAUDIT_WEBHOOK_RETRY_SECONDS", "30"))
CXAUDIT_WEBHOOK_RETRY_CAP_SECONDS = float(env("CXAUDIT_WEBHOOK_RETRY_CAP_SECONDS", "21600"))
CXAUDIT_WEBHOOK_DISPATCHERS = int(env("CXAUDIT_WEBHOOK_DISPATCHERS", "2"))
CXAUDIT_WEBHOOK_CONNECT_TIMEOUT = float(env("CXAUDIT_WEBHOOK_CONNECT_TIMEOUT", "5"))
CXAUDIT_WEBHOOK_READ_TIMEOUT = float(env("CXAUDIT_WEBHOOK_READ_TIMEOUT", "10"))
CXAUDIT_WEBHOOK_RESPONSE_BYTES = int(env("CXAUDIT_WEBHOOK_RESPONSE_BYTES", "4096"))
CXAUDIT_WEBHOOK_DISABLE_AFTER = int(env("CXAUDIT_WEBHOOK_DISABLE_AFTER", "20"))
CXAUDIT_WEBHOOK_ALLOW_CIDRS = env("CXAUDIT_WEBHOOK_ALLOW_CIDRS", "")
CXAUDIT_WEBHOOK_CA_BUNDLE = env("CXAUDIT_WEBHOOK_CA_BUNDLE", "")
CELERY_BEAT_SCHEDULE["webhooks.sweep"] = {
    "task": "webhooks.sweep",
    "schedule": float(env("CXAUDIT_WEBHOOK_SWEEP_SECONDS", "15")),
}

# Cache: shared counters (the outbox send rate; throttles). Local memory by default; set
# CACHE_URL=redis://host:6379/1 in production so that every process shares them.
CACHE_URL = env("CACHE_URL", "locmem://")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL.startswith("locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL has an unknown scheme: {CACHE_URL!r}")

# Security headers. Production defaults are strict; each can be relaxed by environment.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
_https = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=_https)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=_https)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=_https)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if _https else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_https)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=_https)

# Everything is served by the app itself: no inline scripts, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "forbidden_one_line": {"()": "cxaudit.accounts.security.ForbiddenWithoutTraceback"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Requests refused or failed: logged once (not also by Django's own handler in
        # development), a 403 without its traceback.
        "django.request": {
            "handlers": ["console"],
            "propagate": False,
            "filters": ["forbidden_one_line"],
        },
    },
}

# Small-sample flag and significance level of the gap analysis (cxaudit.insights).
CXAUDIT_SMALL_SAMPLE_N = int(env("CXAUDIT_SMALL_SAMPLE_N", "30"))
# Largest evidence upload (photo or PDF) accepted by the form engine, in bytes.
CXAUDIT_EVIDENCE_MAX_BYTES = int(env("CXAUDIT_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))

# PDF report cards (docs/pdf-reports.md): how long a zip of a wave's report cards is kept, and
# the most locations one zip holds.
CXAUDIT_PDF_KEEP_HOURS = float(env("CXAUDIT_PDF_KEEP_HOURS", "48"))
CXAUDIT_PDF_BATCH_MAX = int(env("CXAUDIT_PDF_BATCH_MAX", "2000"))
# Exports (cxaudit.downloads, docs/exports.md): up to CXAUDIT_EXPORT_INLINE_ROWS rows download at
# once; larger ones are built by a worker and kept CXAUDIT_EXPORT_KEEP_HOURS. A worker silent
# for the lease (seconds) is taken for lost and its export queued again, at most … attempts.
CXAUDIT_EXPORT_INLINE_ROWS = int(env("CXAUDIT_EXPORT_INLINE_ROWS", "5000"))
CXAUDIT_EXPORT_KEEP_HOURS = float(env("CXAUDIT_EXPORT_KEEP_HOURS", "24"))
CXAUDIT_EXPORT_LEASE_SECONDS = float(env("CXAUDIT_EXPORT_LEASE_SECONDS", "120"))
CXAUDIT_EXPORT_MAX_ATTEMPTS = int(env("CXAUDIT_EXPORT_MAX_ATTEMPTS", "3"))
# Expired export files deleted, lost export workers replaced.
CELERY_BEAT_SCHEDULE["downloads.sweep_exports"] = {
    "task": "downloads.sweep_exports",
    "schedule": 60.0,
}
# The REST API (cxaudit.api, docs/api.md): per-user tokens, the UI's roles, a rate limit per
# token in the shared cache (CACHE_URL), cursor pages of CXAUDIT_API_PAGE_SIZE rows (at most
# CXAUDIT_API_MAX_PAGE_SIZE), the OpenAPI schema and its docs served by the app (no CDN).
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "cxaudit.api"]
CXAUDIT_API_RATE = int(env("CXAUDIT_API_RATE", "600"))
CXAUDIT_API_RATE_WINDOW = int(env("CXAUDIT_API_RATE_WINDOW", "60"))
CXAUDIT_API_PAGE_SIZE = int(env("CXAUDIT_API_PAGE_SIZE", "100"))
CXAUDIT_API_MAX_PAGE_SIZE = int(env("CXAUDIT_API_MAX_PAGE_SIZE", "500"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["cxaudit.api.v1.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["cxaudit.api.v1.permissions.OrgCapability"],
    "DEFAULT_THROTTLE_CLASSES": ["cxaudit.api.v1.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "cxaudit.api.v1.errors.handler",
    "DEFAULT_SCHEMA_CLASS": "cxaudit.api.v1.openapi.ApiSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cxaudit API",
    "DESCRIPTION": "Journeys, surveys, responses, shops, gaps and actions of one organisation. "
    "Authenticate with `Authorization: Bearer <token>` (your API tokens page); see /help/api/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "JourneyStatusEnum": "cxaudit.journeys.models.Journey.Status",
        "WaveStatusEnum": "cxaudit.journeys.models.Wave.Status",
        "SurveyStatusEnum": "surveys.questionnaire.models.Survey.Status",
        "SurveyKindEnum": "surveys.questionnaire.models.Survey.Kind",
        "LocationKindEnum": "cxaudit.accounts.models.Location.Kind",
        "ShopStatusEnum": "shoppers.models.assignment.AssignmentStatus",
        "ActionStatusEnum": "cxaudit.insights.actions.models.Status",
        "CampaignStatusEnum": "surveys.outreach.models.Campaign.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cxaudit.api.v1.schema.add_error_responses",
    ],
}
# Outside TextRulesMiddleware, so that what it refuses on an API address is answered in JSON.
MIDDLEWARE.insert(
    MIDDLEWARE.index("cxaudit.textinput.TextRulesMiddleware"),
    "cxaudit.api.middleware.ApiErrorsAsJson",
)
