"""Settings for the KZ–CN meat requirements portal.

One file, driven by environment variables. A value that cannot be understood stops the
process with ImproperlyConfigured rather than falling back silently.

    DEBUG          "True"/"False" (default False)
    SECRET_KEY     required when DEBUG is off
    DATABASE_URL   postgres://user:pass@host:port/name; unset = SQLite file in var/
    ALLOWED_HOSTS  comma-separated host names (default: localhost names when DEBUG is on)
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value in ("True", "true", "1", "yes", "on"):
        return True
    if value in ("False", "false", "0", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")


def envint(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_env():
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        path = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "var" / "portal.sqlite3"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # Every transaction takes the write lock when it begins: two saves at the same
            # instant then queue (up to `timeout` seconds) instead of one failing with
            # "database is locked" when it tries to write after reading.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    scheme = url.split(":", 1)[0]
    if scheme not in ("postgres", "postgresql", "pgsql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgres:// URL (or unset for SQLite), not {scheme!r}"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL must name a database")
    return config


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

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
    "django_tasks",
    "django_tasks_db",
    "axes",
    "simple_history",
    "import_export",
    "standards",
    "health",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files, compressed and with far-future caching for hashed names.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Everything past the static files: Cache-Control: private, no-store.
    "portal.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns lockouts into responses.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and locks out after too many (the AXES_ settings below).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures per user name and address, and per address with any names (password
# spraying), each with its own limit (portal/lockout.py; the second is the portal's own
# setting, not django-axes').
AXES_HANDLER = "portal.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_ADDRESS_FAILURE_LIMIT = envint("AXES_ADDRESS_FAILURE_LIMIT", 30)
if AXES_ADDRESS_FAILURE_LIMIT < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured("AXES_ADDRESS_FAILURE_LIMIT must be at least AXES_FAILURE_LIMIT")
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
# Behind a reverse proxy, the client address is the proxy's unless this names the header.
AXES_IPWARE_META_PRECEDENCE_ORDER = envlist("CLIENT_IP_HEADERS", ["REMOTE_ADDR"])

# Content Security Policy: only the portal's own scripts, styles and images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                # The unread notifications badge in the navigation.
                "standards.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "standards:home"
LOGOUT_REDIRECT_URL = "login"

# The portal holds pre-negotiation positions: sessions end with the browser and after
# a working day of inactivity at most.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS settings for production (see the README's deployment table).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
if envbool("BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("kk", _("Kazakh")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Almaty")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# With DEBUG off, `collectstatic` writes hashed, compressed copies that WhiteNoise serves;
# templates then need its manifest (tests/conftest.py keeps the plain storage for tests).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

PORTAL_NAME = "KZ–CN Meat Requirements Portal"

# Background work (large PDF reports) goes through the database: `manage.py report_worker`
# (`db_worker` plus the heartbeat that /healthz reads).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# /healthz reports the worker down when its last heartbeat is older than this (seconds).
WORKER_HEARTBEAT_WINDOW = envint("WORKER_HEARTBEAT_WINDOW", 60)
# Heartbeats come at least 1 s apart (health/heartbeat.py): a window must hold two.
MIN_HEARTBEAT_WINDOW = 2
if WORKER_HEARTBEAT_WINDOW < MIN_HEARTBEAT_WINDOW:
    raise ImproperlyConfigured("WORKER_HEARTBEAT_WINDOW must be at least 2 seconds")

# Gap reports: PDFs of more mappings than this are rendered by the background worker;
# more than the hard cap are refused.
REPORT_BACKGROUND_THRESHOLD = envint("REPORT_BACKGROUND_THRESHOLD", 300)
# 1,000 mappings take about 1 GB and a minute in WeasyPrint (bench/report_vs_chromium.py).
REPORT_MAX_MAPPINGS = envint("REPORT_MAX_MAPPINGS", 2000)
# "What changed" (/changes/): a page or report file lists at most this many mappings;
# a wider window or selection is refused with a message to narrow it.
CHANGES_MAX_ROWS = envint("CHANGES_MAX_ROWS", 500)
# PDFs are drawn in a render process of each web process and of the worker
# (standards/reports/render_process.py): replaced after this many renders, or as soon as it
# holds more than REPORT_RENDER_MAX_MB after a render; ended after this many idle seconds;
# a render longer than the timeout is killed.
REPORT_RENDERS_PER_PROCESS = envint("REPORT_RENDERS_PER_PROCESS", 20)
REPORT_RENDER_MAX_MB = envint("REPORT_RENDER_MAX_MB", 400)
REPORT_RENDER_IDLE_SECONDS = envint("REPORT_RENDER_IDLE_SECONDS", 300)
REPORT_RENDER_TIMEOUT = envint("REPORT_RENDER_TIMEOUT", 600)
# A gap report is drawn in sections, one per topic (standards/reports/pdf.py): the render
# process draws them with this many helpers of its own (one per core beside it, at most 3,
# by default), then combines them. REPORT_PDF_SECTIONS=0 draws it as one document.
REPORT_RENDER_HELPERS = envint("REPORT_RENDER_HELPERS", min(3, max(0, (os.cpu_count() or 1) - 1)))
REPORT_PDF_SECTIONS = envint("REPORT_PDF_SECTIONS", 1) == 1
# A section holds topics of about this many mappings at most (a topic is never cut): the
# memory a process takes to draw one.
REPORT_PDF_SECTION_MAPPINGS = envint("REPORT_PDF_SECTION_MAPPINGS", 150)
# The report cache's upkeep, run by the worker (standards/reports/upkeep.py): every
# REPORT_UPKEEP_SECONDS (0: never) it looks at the data version; once it has been quiet
# for REPORT_PRERENDER_QUIET_SECONDS after an edit (or REPORT_PRERENDER_MAX_WAIT_SECONDS
# after the first edit while edits go on), the reports downloaded in the last
# REPORT_DEMAND_DAYS and the standard set are rendered again. Files of a superseded data
# version are dropped REPORT_CACHE_GRACE_SECONDS after they were rendered, and the cache
# is kept under REPORT_CACHE_MAX_MB.
REPORT_UPKEEP_SECONDS = envint("REPORT_UPKEEP_SECONDS", 5)
REPORT_PRERENDER_QUIET_SECONDS = envint("REPORT_PRERENDER_QUIET_SECONDS", 10)
REPORT_PRERENDER_MAX_WAIT_SECONDS = envint("REPORT_PRERENDER_MAX_WAIT_SECONDS", 60)
REPORT_DEMAND_DAYS = envint("REPORT_DEMAND_DAYS", 30)
REPORT_CACHE_GRACE_SECONDS = envint("REPORT_CACHE_GRACE_SECONDS", 3600)
REPORT_CACHE_MAX_MB = envint("REPORT_CACHE_MAX_MB", 500)
for _name in (
    "REPORT_UPKEEP_SECONDS",
    "REPORT_PRERENDER_QUIET_SECONDS",
    "REPORT_PRERENDER_MAX_WAIT_SECONDS",
    "REPORT_DEMAND_DAYS",
    "REPORT_CACHE_GRACE_SECONDS",
    "REPORT_CACHE_MAX_MB",
):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 or more")

# Watches and digests (standards/watches.py): the worker sends the digests due every
# DIGEST_INTERVAL_SECONDS (0: it does not; run `manage.py send_digests` instead).
DIGEST_INTERVAL_SECONDS = envint("DIGEST_INTERVAL_SECONDS", 300)
if DIGEST_INTERVAL_SECONDS < 0:
    raise ImproperlyConfigured("DIGEST_INTERVAL_SECONDS must be 0 or more")
# The portal's address, for the links in emails (no trailing slash needed).
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000").strip()
# Email: the console in development, SMTP otherwise, unless EMAIL_BACKEND says.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@localhost")

# Spreadsheet import (admin): every upload is previewed, then imported all or nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_TMP_STORAGE_CLASS = "standards.admin_exchange.DatabaseStorage"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 10 * 2**20)
IMPORT_MAX_UNPACKED_BYTES = envint("IMPORT_MAX_UNPACKED_BYTES", 100 * 2**20)
# A preview and an import each run in one request: 2,000 changed mappings take about 25 s
# and 20 s (bench/import_mappings.py), well inside gunicorn's 120 s.
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 2000)
IMPORT_MAX_CELL_CHARS = envint("IMPORT_MAX_CELL_CHARS", 100000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports each rendering step at INFO: keep only its warnings.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
