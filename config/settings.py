"""Settings for the ITB trial tracker.

Everything that differs between machines comes from the environment (see .env.example).
Development defaults apply only when DJANGO_DEBUG is on; production refuses to start without
a real secret key.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", False)
# A production deployment says so (DJANGO_ENV=production) and then refuses to run with DEBUG on
# or on SQLite.
PRODUCTION = os.environ.get("DJANGO_ENV", "").strip().lower() == "production"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV is production.")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (see .env.example)."
        )
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105
elif not DEBUG and (len(SECRET_KEY) < 40 or SECRET_KEY.startswith("dev-only")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a long random value in production.")

# The key of the audit trail's HMAC chain (audit/chain.py): someone who can write to the
# database but does not hold it cannot forge a row's hash. Production keeps it apart from the
# secret key (and from the database and its backups); elsewhere it is derived from the secret key.
AUDIT_KEY = os.environ.get("DJANGO_AUDIT_KEY", "")
if not AUDIT_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_AUDIT_KEY must be set when DJANGO_ENV is production (see .env.example)."
        )
    AUDIT_KEY = "audit-chain:" + SECRET_KEY
elif PRODUCTION and (len(AUDIT_KEY) < 40 or AUDIT_KEY == SECRET_KEY):
    raise ImproperlyConfigured(
        "DJANGO_AUDIT_KEY must be a long random value, not the secret key, in production."
    )

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "").split(
        ","
    )
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "patients",
    "trials",
    "audit",
    "ops",
]

MIDDLEWARE = [
    # One JSON line per request on stdout (ops/logging.py): first, so it times everything.
    "ops.logging.RequestLogMiddleware",
    # /healthz and /readyz, answered before anything else (no redirect, session or audit row).
    "ops.health.HealthMiddleware",
    # A form body in another character set than UTF-8: 400 with a message, before CSRF reads it.
    "ops.http.FormCharsetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from gunicorn, before anything reads the session or the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user read in the session's query (accounts/backends.py).
    "accounts.backends.AuthenticationMiddleware",
    # Pages of a signed-in user may show patient data: no browser or proxy keeps them (ops/http.py).
    "ops.http.NoStoreMiddleware",
    # Who is acting, for the audit rows of user and authenticator changes (accounts/acting.py).
    "accounts.acting.ActingUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "trials.middleware.ClinicTimezoneMiddleware",
    # After the clinic's settings are loaded (the idle limit is one of them). The second-factor
    # gate reads the session, so django-otp's OTPMiddleware (a device query on every request)
    # is not installed: see accounts/two_factor.py.
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during the request into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "trials.context_processors.permissions",
            ],
            # `date` and `time` that survive any stored time (year 1, year 9999) in every template.
            "builtins": ["trials.templatetags.stored_times"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A persistent connection is checked before each request reuses it, so a database
        # restart or failover costs one reconnect, not a run of errors.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, its health check without a round trip when the connection's socket shows
    # nothing happened to it (core/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "core.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database of the demo and of development, held under concurrent writers:
    # WAL lets readers go on while one writer writes; a transaction takes the write lock when it
    # begins (IMMEDIATE), so two transactions that read then write wait their turn instead of
    # failing with "database is locked"; a writer waits up to `timeout` seconds for the lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_ENV is production but DATABASE_URL is not set (or names SQLite): production "
            "needs PostgreSQL, e.g. DATABASE_URL=postgres://itb:<password>@<host>:5432/itb "
            "(see .env.example). SQLite is for the demo and development only."
        )

# The cache: each process's own memory, unless REDIS_URL names a Redis server shared by every
# app server (then the dashboard's figures are computed once for all of them, and sessions are
# read from Redis before the database: accounts/sessions.py). The app servers keep no state.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# "records": each process's own copies of trials' records, keyed by the revision the database
# writes on every change (trials/services/record_cache.py); never shared, so no patient record
# leaves the app's process. Bounded: the least recently used copies go first.
RECORDS_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "trial-records",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("RECORDS_CACHE_ENTRIES", "300"))},
}
# "parts": the parts of trial pages (HTML) kept by the record's revision and what else each shows
# (trials/templatetags/kept.py) and the pages' frames (trials/services/kept_page.py), as private
# as the records and kept apart from them: a trial viewed by two roles keeps a dozen small parts,
# which must not push the records out.
PARTS_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "trial-parts",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("PARTS_CACHE_ENTRIES", "3000"))},
}
# "rows": the homes' rows (trials/services/kept_rows.py), kept the same way and as private: small
# entries (a trial's line on the board, the worklist, the trials by phase), so many more of them.
ROWS_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "trial-rows",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("ROWS_CACHE_ENTRIES", "3000"))},
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "records": RECORDS_CACHE,
    "parts": PARTS_CACHE,
    "rows": ROWS_CACHE,
}
if REDIS_URL:
    CACHES = {
        "records": RECORDS_CACHE,
        "parts": PARTS_CACHE,
        "rows": ROWS_CACHE,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Several deployments (or a test) may share one Redis server.
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_KEY_PREFIX", "itb"),
            "TIMEOUT": 600,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
    }

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes first: it refuses a locked-out username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, its per-request read of the user compiled once (accounts/backends.py).
    "accounts.backends.ModelBackend",
]

# Sign-in throttling (django-axes): 5 failed sign-ins for one username within 30 minutes lock
# that username for 30 minutes. Counted per username only, never per IP address, so a ward
# sharing one address is not locked out together, and an unknown username locks like a real
# one. A success does not reset the count (5 failures per 30 minutes, whatever happens in
# between), and attempts during a lockout do not prolong it, so "wait 30 minutes" holds.
# A wrong authenticator code counts as a failed sign-in too (accounts/views.py).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
# Cut to the 255 characters django-axes stores (a longer sign-in name is a wrong one, not a 500).
AXES_USERNAME_CALLABLE = "accounts.throttling.axes_username"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "enrolment_code"]
# axes.W006 asks for the IP address among the lockout parameters. Here the lock is per username
# on purpose (see above); rotating user agents or cookies does not get around a username's
# count, which is kept whatever they are.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Second factor (django-otp, TOTP): required for neurologists and admins, and for a nurse who
# has set one up (accounts/two_factor.py).
OTP_TOTP_ISSUER = "ITB trial tracker"
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes in a row, wait 2^(n-1) seconds

# Sessions (accounts/sessions.py, accounts/middleware.py): stored in the database with their
# user, so deactivating a user ends them at once; they end after the site's idle limit (a site
# setting, 15 minutes by default) and SESSION_MAX_AGE after sign-in whatever the activity.
SESSION_ENGINE = "accounts.sessions_cached" if REDIS_URL else "accounts.sessions"
SESSION_MAX_AGE = timedelta(hours=12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Stored in UTC; shown in the clinic's zone (a site setting, activated per request).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_CLINIC_TIME_ZONE = "America/New_York"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# whitenoise looks the files up on each request in development, as it does by default with DEBUG
# on; said once here because a test run turns DEBUG off after reading the settings, and whitenoise
# would then look for the collected files that development never makes (staticfiles/), warning
# "No directory at" on every request of the suite. Production (DEBUG off) is unchanged.
WHITENOISE_AUTOREFRESH = DEBUG
# Production: `collectstatic` writes each file under a name holding a hash of its content, and
# a gzip copy; whitenoise serves them with a year-long cache. Development serves the
# files as they are in static/ (whitenoise looks them up on each request when DEBUG is on).
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content Security Policy: no inline script or style anywhere (htmx is configured for it in
# base.html: indicator styles off, config in a meta tag). Bootstrap's form icons are data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(SESSION_MAX_AGE.total_seconds())
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # X-Forwarded-Proto says "this came over https" only when a proxy in front sets it and strips
    # the client's own. Without DJANGO_BEHIND_PROXY any client could send it. gunicorn needs none
    # of this: it trusts the header from GUNICORN_FORWARDED_ALLOW_IPS only (gunicorn.conf.py).
    if env_bool("DJANGO_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs: the request log and the readiness checks as JSON lines on stdout (ops/logging.py);
# everything else (Django's own warnings and errors) on stderr, as JSON too in production.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ops.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"} | ({} if DEBUG else {"formatter": "json"}),
        "json_stdout": {"class": "ops.logging.StdoutHandler", "formatter": "json"},
    },
    "loggers": {
        "ops": {"handlers": ["json_stdout"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Error reporting (ops/sentry.py): only with SENTRY_DSN, and never with patient data.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
if SENTRY_DSN:
    from ops.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production" if PRODUCTION else "other"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
