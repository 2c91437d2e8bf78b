"""Settings for the MHHS Service Desk Portal.

Every value comes from an environment variable with an embedded default, so `make run` needs
nothing set (SQLite and a filesystem Celery broker under var/), while tests, CI and production
select PostgreSQL and Redis by URL. `.env.example` lists every variable.
"""

import ipaddress
import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    import os

    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name, "1" if default else "0").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name, str(default)).strip()
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    key_file = Path(env_str("SECRET_KEY_FILE", str(VAR_DIR / "secret_key")))
    if key_file.is_file():
        return key_file.read_text().strip()
    raise ImproperlyConfigured(
        "No SECRET_KEY: set SECRET_KEY, or SECRET_KEY_FILE pointing at a file holding one "
        "(`make run` and `make test` write var/secret_key on first use)."
    )


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts",
    "mhhs_portal.apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "access",
    "tickets",
    "sla",
    "cases",
    "incidents",
    "knowledge",
    "problems",
    "major_incidents",
    "changes",
    "comms",
    "status_page",
    "ops",
]

MIDDLEWARE = [
    # First, so every answer carries an X-Request-ID and is counted (issue 14).
    "ops.middleware.RequestIdMiddleware",
    "ops.middleware.MetricsMiddleware",
    # Probes are answered before host validation (they call the container by its address).
    "ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "mhhs_portal.middleware.RejectHostileInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffMfaRequiredMiddleware",
    "accounts.middleware.RegistrationGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "mhhs_portal.urls"
WSGI_APPLICATION = "mhhs_portal.wsgi.application"

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
                "accounts.views.portal_nav",
                "comms.context_processors.notifications",
            ],
            # `core` is no app, so its template library is named here: dates and times as every
            # page shows them (`core.dates`).
            "libraries": {
                "uk_dates": "core.templatetags.uk_dates",
                # The console's page frame drawn in Python (templates/admin/base.html, issue 9).
                "console_frame": "mhhs_portal.console_frame",
            },
        },
    },
]

# Databases: SQLite under var/ by default; DATABASE_URL=postgres://... selects PostgreSQL
# through psycopg 3 with Django's connection pool.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions and a busy timeout let the web process and the worker both write.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {"pool": {"min_size": 1, "max_size": env_int("DATABASE_POOL_MAX", 20)}}
else:
    raise ImproperlyConfigured(
        f"DATABASE_URL must be sqlite:// or postgres://, not {DATABASE_URL!r}"
    )
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_URL == "":
    # A file cache is shared by every local process, so sign-in throttling holds across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
else:
    raise ImproperlyConfigured(
        f"CACHE_URL must be redis://..., locmem:// or empty, not {CACHE_URL!r}"
    )

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's ModelBackend, with each user's permissions kept in the cache between requests
    # (accounts/permission_cache.py).
    "accounts.permission_cache.CachedPermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email is the login; self-registration verifies the address (§10.1).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[MHHS Service Desk] "
ACCOUNT_ALLOW_REGISTRATION = env_bool("ACCOUNT_ALLOW_REGISTRATION", True)
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# Sign-up asks for the name and the organisation, and records the registration request (§10.1).
ACCOUNT_FORMS = {"signup": "accounts.forms.RegistrationSignupForm"}
# Sign-in throttling (§10.5.2). Failed passwords and TOTP codes are limited per account ("key")
# and per client address ("ip"). The per-account rate comes first: allauth checks the rates in
# order and stops at the first one exhausted, so attempts on a locked account no longer count
# against the address, and one attacker hammering one account cannot lock out everybody else
# behind the same office NAT. The per-address rate is loose for the same reason; it stops one
# address spraying many accounts. "login" counts every sign-in POST, right or wrong, per address:
# only a flood guard, so it is loose too (allauth's default of 30/m/ip locked out an office).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_FAILED_RATE", "5/5m/key,30/m/ip,300/h/ip"),
    "login": env_str("LOGIN_RATE", "300/m/ip"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "MHHS Service Desk"
MFA_TOTP_PERIOD = 30
MFA_TOTP_DIGITS = 6
# Accept the code of the step before or after the current one (one 30-second step of clock
# drift, or a code typed as it rolled over); a code is still accepted only once.
MFA_TOTP_TOLERANCE = 1
# Enrolment keeps one pending secret for the session and continues to `next` (accounts/mfa.py).
MFA_FORMS = {"activate_totp": "accounts.mfa.EnrolmentTOTPForm"}

# Client addresses behind a reverse proxy. X-Forwarded-For can be written by anyone, so it is
# read only when TRUSTED_PROXY_COUNT says how many proxies of ours append to it (0: ignore the
# header and use the connecting address). Sign-in throttling (allauth) and API throttling (DRF's
# NUM_PROXIES, set after REST_FRAMEWORK below) both use it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # attachments are served only through a permission check

ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "MHHS Service Desk <servicedesk@mhhs.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the desk's own alerts go (new case, triage overdue) (§5.17).
# §10.3 auto-close: reminders after these many calendar days, closure after AUTO_CLOSE_DAYS.
AUTO_CLOSE_REMINDER_DAYS = env_str("AUTO_CLOSE_REMINDER_DAYS", "2,4")
AUTO_CLOSE_DAYS = env_int("AUTO_CLOSE_DAYS", 5)
# Major-incident communications (§5.18, §5.19.1): updates fall due every
# MAJOR_INCIDENT_UPDATE_MINUTES after the last one sent (a manager may set one major incident's
# interval between the MIN and MAX); the manager is reminded this many minutes before one falls
# due, and the desk lead is alerted once it is late.
MAJOR_INCIDENT_INITIAL_COMMS_MINUTES = env_int("MAJOR_INCIDENT_INITIAL_COMMS_MINUTES", 15)
MAJOR_INCIDENT_UPDATE_MINUTES = env_int("MAJOR_INCIDENT_UPDATE_MINUTES", 60)
MAJOR_INCIDENT_UPDATE_MIN_MINUTES = env_int("MAJOR_INCIDENT_UPDATE_MIN_MINUTES", 30)
MAJOR_INCIDENT_UPDATE_MAX_MINUTES = env_int("MAJOR_INCIDENT_UPDATE_MAX_MINUTES", 60)
MAJOR_INCIDENT_REMINDER_LEAD_MINUTES = env_int("MAJOR_INCIDENT_REMINDER_LEAD_MINUTES", 5)
# Knowledge review cycle (§12): an article's owner is reminded this many days before its
# three-monthly review falls due.
KNOWLEDGE_REVIEW_REMINDER_DAYS = env_int("KNOWLEDGE_REVIEW_REMINDER_DAYS", 14)
# Where SMS for distribution lists go; the default writes them to the log (§5.19).
SMS_BACKEND = env_str("SMS_BACKEND", "comms.sms.LogSmsBackend")
SERVICE_MANAGEMENT_EMAIL = env_str("SERVICE_MANAGEMENT_EMAIL", "service.management@mhhs.example")
# The service desk's shared mailbox: a caller's reply, rejection or request to reopen goes to
# the case's assignee, else here (§10.2, Appendix G).
SERVICE_DESK_EMAIL = env_str("SERVICE_DESK_EMAIL", "servicedesk@mhhs.example")

# Reply by email (§10.2): the mailbox the IMAP poller reads, e.g.
# imaps://user:pass@host:993/INBOX; empty switches polling off (pipe and API still work).
IMAP_URL = env_str("IMAP_URL", "")
INBOUND_EMAIL_MAX_BYTES = env_int("INBOUND_EMAIL_MAX_BYTES", 4 * ATTACHMENT_MAX_BYTES)
EMAIL_MESSAGE_ID_DOMAIN = env_str("EMAIL_MESSAGE_ID_DOMAIN", "mhhs.example")

# Celery: filesystem broker under var/ by default, Redis by URL.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down: the outbox sweep re-queues later.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Modules with tasks that autodiscovery (which looks for tasks.py) does not find.
CELERY_IMPORTS = ["comms.inbound_tasks", "major_incidents.review_tasks"]
# Self-help suggestion impressions past their retention period (§11.2.2).
CELERY_IMPORTS += ["knowledge.self_help_tasks"]
# The Monday change reports (§8.10).
CELERY_IMPORTS += ["changes.report_tasks"]
CELERY_BEAT_SCHEDULE = {
    # SLA at-risk and breach (§3), the 15-minute triage check (§4.1) and the 5-day auto-close
    # (§10.3); `expires` keeps minute ticks from piling up while no worker runs.
    "sla-sweep": {"task": "sla.tasks.sla_sweep_task", "schedule": 60.0, "options": {"expires": 55}},
    "case-triage-check": {
        "task": "cases.tasks.case_triage_check_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "case-auto-close": {"task": "cases.tasks.case_auto_close_task", "schedule": 900.0},
    # §14.4 status updates on report requests are due every 24 or 48 business hours.
    "report-update-check": {"task": "cases.tasks.report_update_check_task", "schedule": 900.0},
    "inbound-email-poll-imap": {
        "task": "comms.inbound_tasks.inbound_email_poll_imap_task",
        "schedule": 60.0,
    },
    "outbox-resend-pending": {
        "task": "comms.tasks.outbound_message_resend_pending_task",
        "schedule": 60.0,
    },
    # §5.19.1: major-incident comms due soon (the manager) or late (the desk lead).
    "major-incident-comms-reminders": {
        "task": "major_incidents.tasks.comms_reminders_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Files kept from raise-case forms that were never sent on, after a day.
    "pending-upload-purge": {"task": "tickets.tasks.pending_upload_purge_task", "schedule": 3600.0},
    # §5.23: the Major Incident Manager is reminded of review milestones due within the hour.
    "review-milestone-reminders": {
        "task": "major_incidents.review_tasks.review_milestone_remind_due_task",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Self-help suggestion impressions older than their retention period, once a day.
    "suggestion-impressions-prune": {
        "task": "knowledge.self_help_tasks.suggestion_impressions_prune_task",
        "schedule": 86400.0,
    },
    # §12: knowledge review reminders to owners and overdue notices, daily at 07:00 UK time.
    "knowledge-review-reminders": {
        "task": "knowledge.tasks.article_review_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # §8.9.8: next Tuesday's 12:00 CAB is created ahead, daily at 06:00 UK time (idempotent).
    "cab-meeting-schedule-next": {
        "task": "changes.tasks.cab_meeting_schedule_next_task",
        "schedule": crontab(hour=6, minute=0),
    },
    # §8.10: the Forward Schedule of Change and the Retrospective Change Report, 06:00 UK
    # time on Mondays (CELERY_TIMEZONE is Europe/London).
    "change-reports-monday": {
        "task": "changes.report_tasks.change_reports_issue_task",
        "schedule": crontab(hour=6, minute=0, day_of_week="mon"),
    },
    # Issue 14: a worker records that it takes tasks; /readyz reads the time.
    "worker-heartbeat": {
        "task": "ops.tasks.worker_heartbeat_task",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}
# Logging stays as settings.LOGGING configures it in the worker too (JSON, request ids, redaction).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False


def env_rate(name: str, default: str) -> str | None:
    """An API rate such as "600/min" ("none" or "off": no limit), checked at start-up."""
    value = env_str(name, default).strip().lower()
    if value in ("none", "off", ""):
        return None
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(
            f'{name} must be a rate like "600/min" (per s, min, hour or day) or "none", '
            f"not {value!r}"
        )
    return value


# Every API endpoint authenticates by access token or by a session, and starts from
# ApiAccess: staff need a second factor on either (§10.5.2), tokens act only within their scopes.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.authentication.AccessTokenAuthentication",
        "access.authentication.TwoFactorSessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "access.throttling.ClientRateThrottle",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["access.permissions.ApiAccess"],
    # DRF's parsers, with JSON nested past the recursion limit a 400 rather than a 500.
    "DEFAULT_PARSER_CLASSES": [
        "mhhs_portal.api_parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tickets.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_THROTTLE_ANON_RATE", "60/min"),
        "user": env_rate("API_THROTTLE_USER_RATE", "600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MHHS Service Desk API",
    "DESCRIPTION": "Cases and incidents of the MHHS Service Desk, for participants and other desks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]",
    # The schema and its docs describe the API to anyone; they hold no data.
    "SERVE_AUTHENTICATION": [],
}
# CAB meetings' kind and state (§8.9) have enum names of their own in the schema.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "CabMeetingKindEnum": "changes.models_cab.CabMeeting.Kind",
        "CabMeetingStateEnum": "changes.models_cab.CabMeeting.State",
    }
)
# Access tokens (§10.5.2): lifetime offered by default on the account page, and the longest a
# person's token may live; only integration accounts' tokens may never expire.
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
if not 1 <= API_TOKEN_DEFAULT_DAYS <= API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured(
        "API_TOKEN_DEFAULT_DAYS must be at least 1 and at most API_TOKEN_MAX_DAYS, not "
        f"{API_TOKEN_DEFAULT_DAYS} (API_TOKEN_MAX_DAYS={API_TOKEN_MAX_DAYS})"
    )

# API throttling counts per client address the same way as sign-in throttling (see
# TRUSTED_PROXY_COUNT); DRF's default would believe any X-Forwarded-For.
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# HTTPS. SECURE_COOKIES=1 says the portal is served over HTTPS: cookies are marked Secure, plain
# HTTP is redirected, and browsers are told to use HTTPS only (HSTS, one year), so that
# `manage.py check --deploy` is clean. Each part has its own variable to override it. With
# nothing set (`make run` on http://127.0.0.1) none of this is on. Behind a proxy that ends TLS,
# SECURE_PROXY_SSL_HEADER names the header it sets (X-Forwarded-Proto), or the redirect loops.
SECURE_COOKIES = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE_COOKIES)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if SECURE_COOKIES else 0)
# HSTS set by the portal's host covers only that host's own subdomains; preload is a declaration
# that takes effect only if the apex domain is submitted to the browsers' preload list.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Operations (issue 14). /readyz fails when a worker has not taken the heartbeat task (every
# 30 s) for OPS_HEARTBEAT_MAX_AGE seconds, or the SLA or outbox sweep (every minute) has not
# succeeded for OPS_SWEEP_MAX_AGE seconds; OPS_BROKER_TIMEOUT bounds its broker check.
OPS_HEARTBEAT_MAX_AGE = env_int("OPS_HEARTBEAT_MAX_AGE", 120)
OPS_SWEEP_MAX_AGE = env_int("OPS_SWEEP_MAX_AGE", 300)
OPS_BROKER_TIMEOUT = env_int("OPS_BROKER_TIMEOUT", 2)
# /metrics answers scrapers from these addresses or networks, or presenting this bearer token;
# with neither set it answers nobody (403).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "")
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS must list addresses or networks, not {_network!r}"
        ) from exc
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Probes come over plain HTTP from inside the deployment, not through the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# LOG_FORMAT=json: one JSON object per line (production); "plain" (the default) for people.
# Both carry the request id and pass the redaction filter (no MPAN, password, token or body).
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f'LOG_FORMAT must be "plain" or "json", not {LOG_FORMAT!r}')
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "ops.log.RequestContextFilter"},
        "redact": {"()": "ops.log.RedactFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "ops.log.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
