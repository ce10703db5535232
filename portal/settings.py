"""Django settings for Switchboard, read from the environment (see README: Environment)."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "true")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-development-only-key-not-for-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # allauth's sessions page uses it
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "core",
    "accounts",
    "subscriptions",
    "support",
    "portal",
]

MIDDLEWARE = [
    # Outermost, so its one log line per request sees the final status.
    "core.observability.RequestLogMiddleware",
    # Before the HTTPS redirect and host validation: load balancers check /healthz over
    # plain HTTP, by address.
    "portal.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that answers early (the NUL 400 page, WhiteNoise's static files),
    # so that every response carries the frame and content security policies.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "core.middleware.AllowedMethodsMiddleware",
    "core.middleware.RejectNullBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.SlidingSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.ActiveMembershipMiddleware",
    "accounts.middleware.RequireMfaMiddleware",
    # Innermost: its transaction holds only the admin view's own statements.
    "core.middleware.AdminStatementTimeoutMiddleware",
]

# How long one database statement of a staff admin request may run on PostgreSQL before
# it stops and staff are asked to narrow their search (0: no limit). Customers' pages
# have none: they read their own organization's rows, by index.
ADMIN_STATEMENT_TIMEOUT_MS = envint("ADMIN_STATEMENT_TIMEOUT_MS", "3000")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# SQLite is the embedded default; production sets DATABASE_URL to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "0"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
    "DATABASE_PREPARED_STATEMENTS", "true"
):
    # The server binds the parameters, and psycopg prepares a query the third time a
    # connection runs it: PostgreSQL parses it no more, and plans it no more once a
    # plan for any parameters costs no more than those it made for the values. Planning
    # the pages' wide joins cost the database several times what running them did, so
    # this pays with persistent connections (DATABASE_CONN_MAX_AGE). Django leaves both
    # off by default; a connection pooler in transaction mode (PgBouncer's default)
    # cannot keep prepared statements: set DATABASE_PREPARED_STATEMENTS=false behind
    # one. What DATABASE_URL sets itself (?prepare_threshold=...) wins.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("server_side_binding", True)
    options.setdefault("prepare_threshold", 2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# allauth's rate limits count in the cache, so it must be shared by every process:
# Redis when REDIS_URL is set, the database otherwise (never a per-process cache).
# "org_values" holds what pages compute from an organization's rows (core.org_cache):
# apart from the default, so that the database cache's cull past MAX_ENTRIES never
# evicts a rate-limit counter to make room for them.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        "org_values": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "org",
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
            # Past MAX_ENTRIES a write culls a third of the entries, whatever they are:
            # room for every member's sessions-worth of rate-limit counters.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
        "org_values": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_org_cache",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# allauth: e-mail sign-in, no open sign-up (invitations only), MFA, reauthentication.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = envint("REAUTHENTICATION_SECONDS", "300")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Switchboard] "
# login_failed's "key" is the client address and the account together
# (accounts.adapter.AccountAdapter): five failures lock that address out of that account,
# never its owner signing in from elsewhere.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Switchboard"
# Behind a proxy, the client address comes from this header only (e.g. X-Forwarded-For),
# its last hop (core.http.client_ip). allauth asks the account adapter for it, so its
# ALLAUTH_TRUSTED_CLIENT_IP_HEADER is not set: it would read the whole header as one address.
TRUSTED_CLIENT_IP_HEADER = os.environ.get("TRUSTED_CLIENT_IP_HEADER", "") or None

SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", str(8 * 60 * 60))
# Sliding expiry: the session ends after SESSION_IDLE_SECONDS without a request, give or
# take SESSION_REFRESH_SECONDS (core.middleware.SlidingSessionMiddleware), rather than a
# session write on every request.
SESSION_REFRESH_SECONDS = envint("SESSION_REFRESH_SECONDS", "300")
# With Redis, sessions are read from the cache and written through to the database, which
# answers alone while Redis is down (core.sessions).
SESSION_ENGINE = "core.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# An address written as www.example.com in a case's thread links to https://, not http://
# (Django's default until 2028).
URLIZE_ASSUME_HTTPS = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: the console in development, SMTP from the environment in production. A request
# that delivers its change's e-mail itself (EMAIL_RELAY off) does so through "in_request",
# which gives up sooner: an e-mail it could not deliver waits in the outbox for
# `send_outbox`, and a mail server that never answers holds no page for long.
if os.environ.get("EMAIL_HOST") or not DEBUG:
    smtp_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": envint("EMAIL_PORT", "587"),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": envbool("EMAIL_USE_TLS", "true"),
    }
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {**smtp_options, "timeout": envint("EMAIL_TIMEOUT_SECONDS", "10")},
        },
        "in_request": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {**smtp_options, "timeout": envint("EMAIL_REQUEST_TIMEOUT_SECONDS", "3")},
        },
    }
else:
    MAILERS = {
        alias: {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
        for alias in ("default", "in_request")
    }
# Where e-mails are delivered from. By default each request delivers its change's e-mail
# once the change commits. With EMAIL_RELAY=true requests only write it into the outbox
# and `manage.py send_outbox --follow` (a process of its own) delivers it within a second,
# so no request waits for the mail server (docs/performance.md).
EMAIL_RELAY = envbool("EMAIL_RELAY", "false")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Switchboard <no-reply@switchboard.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails start with this address.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "support@switchboard.example")

INVITATION_VALID_DAYS = envint("INVITATION_VALID_DAYS", "7")

# Support cases. Attachments live outside the web root (never under STATIC_ROOT) and are
# served only by the portal's download view, to members who may see the case.
ATTACHMENTS_DIR = Path(os.environ.get("ATTACHMENTS_DIR", "") or BASE_DIR / "var" / "attachments")
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024))
ATTACHMENT_EXTENSIONS = [
    ext.lower().lstrip(".")
    for ext in envlist("ATTACHMENT_EXTENSIONS", "pdf,png,jpg,jpeg,gif,txt,log,csv")
]
# How many cases one member may open in an hour (beyond it: 429).
SUPPORT_CASES_PER_HOUR = envint("SUPPORT_CASES_PER_HOUR", "10")
# How many replies one member may post on cases in an hour (beyond it: 429).
SUPPORT_REPLIES_PER_HOUR = envint("SUPPORT_REPLIES_PER_HOUR", "30")
# How many switches (inbound and outbound recording, calling mode) one member may change
# in an hour (beyond it: 429).
SETTING_CHANGES_PER_HOUR = envint("SETTING_CHANGES_PER_HOUR", "20")
# After a switch's notice to the Super Admins, further changes of the same switch within
# this many minutes are not e-mailed to them again (Activity keeps every one).
SETTING_NOTICE_MINUTES = envint("SETTING_NOTICE_MINUTES", "10")
# The bytes of case attachments one organization may store in all.
ATTACHMENT_QUOTA_BYTES = envint("ATTACHMENT_QUOTA_BYTES", str(1024 * 1024 * 1024))

# The provider's free numbers are shared by every customer. In NUMBER_CHANGE_PERIOD_DAYS a
# line changes its number at most NUMBER_CHANGES_PER_LINE times in the portal, and an
# organization its numbers at most NUMBER_CHANGES_PER_ORGANIZATION times; beyond that a
# new number is asked of support. Staff are told when a change leaves a country with
# fewer than SPARE_NUMBERS_LOW_BELOW free numbers.
NUMBER_CHANGES_PER_LINE = envint("NUMBER_CHANGES_PER_LINE", "2")
NUMBER_CHANGES_PER_ORGANIZATION = envint("NUMBER_CHANGES_PER_ORGANIZATION", "5")
NUMBER_CHANGE_PERIOD_DAYS = envint("NUMBER_CHANGE_PERIOD_DAYS", "30")
SPARE_NUMBERS_LOW_BELOW = envint("SPARE_NUMBERS_LOW_BELOW", "10")

# Security headers. The CSP has no unsafe-inline and no unsafe-eval: scripts are files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are bound to this exact host, over HTTPS, for the whole site.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
if TRUSTED_CLIENT_IP_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Production logs one JSON object per line (request ID, user, organization, status,
# time); development keeps plain text. No log line ever carries a password or token.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "core.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The request line replaces Django's own per-request server log.
        "django.server": {"level": "WARNING"},
        "portal.requests": {"level": os.environ.get("REQUEST_LOG_LEVEL", "INFO")},
    },
}
