"""Dolbom settings: one module, configured by DOLBOM_* environment variables.

DOLBOM_ENV            development (default) or production
DOLBOM_HOME           folder for the embedded database, keys, generated city (default: ./var of the checkout)
DOLBOM_DATABASE_URL   e.g. postgres://user:pass@127.0.0.1:5432/dolbom (default: SQLite in DOLBOM_HOME)
DOLBOM_SECRET_KEY     Django secret key
DOLBOM_RRN_KEY        base64 of 32 bytes: AES-GCM key for resident registration numbers
DOLBOM_RRN_OLD_KEYS   comma-separated base64 keys still accepted for decryption (key rotation)
DOLBOM_RRN_HMAC_KEY   base64 of 32 bytes: keyed hash for exact lookup of resident registration numbers
DOLBOM_RRN_HMAC_OLD_KEYS  comma-separated base64 lookup keys still tried by searches while `dolbom keys rotate`
                      rewrites the stored hashes (key rotation; docs/operations.md, "Key rotation")
DOLBOM_AUDIT_KEY      base64 of 32 bytes: key of the audit log's chained MACs and of its anchors (core.audit)
DOLBOM_AUDIT_OLD_KEYS comma-separated base64 keys still accepted when verifying the audit log (key rotation)
DOLBOM_AUDIT_ANCHOR_FILE  where `dolbom audit anchor` appends the signed chain head
                      (default DOLBOM_HOME/audit-anchors.jsonl; ship copies of it off the server)
DOLBOM_ALLOWED_HOSTS  comma-separated host names (production)
DOLBOM_SSL_REDIRECT   production: 1 (default) redirects plain HTTP to HTTPS
DOLBOM_HSTS_SECONDS   production: Strict-Transport-Security max-age (default 31536000)
DOLBOM_CSRF_TRUSTED_ORIGINS  production: comma-separated extra origins for forms (only if a proxy rewrites Host)
DOLBOM_ACCESS_LOG     1: one JSON line per request on standard output (default 1 in production, else 0)
DOLBOM_LOG_LEVEL      level of the application's log (default INFO)
DOLBOM_DEBUG          1: Django's debug pages, outside production only
DOLBOM_SESSION_MINUTES idle minutes before a session expires (default 30)
DOLBOM_LOCKOUT_FAILURES  failed logins of one user name from one address that lock this pair (default 5)
DOLBOM_LOCKOUT_MINUTES   minutes a failure counts, and a lock lasts, after the last failure (default 15)
DOLBOM_LOCKOUT_ADDRESS_FAILURES  failed logins from one address, any user names, that lock the address (default 20)
DOLBOM_LOCKOUT_ACCOUNT_FAILURES  failed logins of one user name from all addresses that close it to the addresses
                      it has not logged in from recently (default 10); see docs/operations.md, "Login lockout"
DOLBOM_LOCKOUT_KNOWN_DAYS  days an address stays known to a user name after a login from it (default 90)
DOLBOM_TRUSTED_PROXIES  comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For gives
                      the client's address and whose X-Forwarded-Proto says HTTPS (default: none, the client's
                      address is the connection's and the header is dropped)
DOLBOM_SMALL_CELL     aggregates below this count are suppressed for analysts (default 5)
DOLBOM_DENIED_AUDIT_PER_MINUTE  refused requests recorded per user and minute; the rest are counted (default 20)
DOLBOM_MAX_FIELD_LENGTH  longest GET parameter or form field accepted, in characters; longer is a 400 (default 10000)
DOLBOM_CAMPAIGN_CONFIRM_ABOVE  a survey campaign reaching more households than this is launched only once its
                      author confirms the number (default 500)
DOLBOM_PG_BIN         folder of the PostgreSQL client programs `dolbom backup` and `dolbom restore` run (pg_dump,
                      pg_restore; default: found on the PATH)
DOLBOM_TODAY          tests and demonstrations only: the date every "today" of the application is (YYYY-MM-DD), to
                      show deadlines as they will be; production refuses to start with it set

The public report form (/report/, no login; docs/security.md, "The public report form"):
DOLBOM_PUBLIC_REPORTS_PER_HOUR  reports sent from one address per clock hour, counted before anything is checked
                      (default 10); more are refused with 429 until the hour ends
DOLBOM_PUBLIC_STATUS_PER_HOUR   receipt-number look-ups on /report/status/ from one address per hour (default 30)
DOLBOM_PUBLIC_AUDIO_PER_HOUR    spoken challenges from one address per hour (default 20)
DOLBOM_CAPTCHA_SPEECH  the offline speech synthesiser that reads the challenge aloud (default: espeak-ng when it is
                      installed; empty: no audio, the page offers the phone instead)

Signal files (docs/operations.md, "Limits of signal files"); sizes in MB (2**20 bytes):
DOLBOM_UPLOAD_MAX_CSV_MB / DOLBOM_UPLOAD_MAX_XLSX_MB / DOLBOM_UPLOAD_MAX_PARQUET_MB
                      largest signal file accepted, per format, by the upload page and `dolbom import signals`
                      (default 256 / 64 / 128); the web server refuses a request body above the largest of them
DOLBOM_IMPORT_MAX_ROWS  most data rows in one signal file, any format (default 2000000)
DOLBOM_XLSX_MAX_UNPACKED_MB / DOLBOM_XLSX_MAX_PART_MB  Excel: largest unpacked size of all parts of the file
                      together and of any one part, read from the zip directory before any XML (default 1024 / 512)
DOLBOM_XLSX_MAX_RATIO  Excel: largest unpacked/packed ratio of a part larger than 1 MB (default 100)
DOLBOM_PARQUET_MAX_ROW_GROUP_MB  Parquet: largest uncompressed row group, from the file's metadata (default 128)
DOLBOM_SHEET_READER_MEMORY_MB  memory cap of the separate process that reads one Excel file (default 2048)
DOLBOM_IMPORTS_AT_ONCE  signal-file imports one machine runs at the same time, all server processes and commands
                      together (default 1); one more is refused at once with a Korean message to try again shortly

Outside production, missing secrets are read from DOLBOM_HOME/keys.env, which is created with fresh random keys on
first use; production refuses to start without them, so a forgotten variable can never silently mean a new key.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
from datetime import date
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dolbom.core.files import private_dir

# Whatever the process creates — the SQLite database and its journal, Parquet files, logs — is for the service
# account alone, whatever umask the shell or the service manager gave it.
os.umask(0o077)

SRC_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("DOLBOM_ENV", "development")
PRODUCTION = ENV == "production"
HOME = Path(os.environ.get("DOLBOM_HOME", SRC_DIR.parents[1] / "var")).resolve()

SECRET_NAMES = ("DOLBOM_SECRET_KEY", "DOLBOM_RRN_KEY", "DOLBOM_RRN_HMAC_KEY", "DOLBOM_AUDIT_KEY")


def _new_secret(name: str) -> str:
    if name == "DOLBOM_SECRET_KEY":
        return secrets.token_urlsafe(50)
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _development_secrets(path: Path) -> dict[str, str]:
    """Read the development key file, adding any key it lacks; it lives outside the repository's tracked files."""
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    missing = [name for name in SECRET_NAMES if name not in values]
    if missing:
        private_dir(path.parent)  # DOLBOM_HOME, when this creates it, is for this user only
        values.update({name: _new_secret(name) for name in missing})
        body = "# Dolbom development keys: never use these in production.\n"
        body += "".join(f"{name}={values[name]}\n" for name in SECRET_NAMES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
    return values


def _secret(name: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return _development_secrets(KEYS_FILE)[name]


KEYS_FILE = HOME / "keys.env"
SECRET_KEY = _secret("DOLBOM_SECRET_KEY")
RRN_KEY = _secret("DOLBOM_RRN_KEY")
RRN_OLD_KEYS = [k for k in os.environ.get("DOLBOM_RRN_OLD_KEYS", "").split(",") if k]
RRN_HMAC_KEY = _secret("DOLBOM_RRN_HMAC_KEY")
RRN_HMAC_OLD_KEYS = [k for k in os.environ.get("DOLBOM_RRN_HMAC_OLD_KEYS", "").split(",") if k]
# The audit key never enters the database, so whoever can rewrite the audit table cannot recompute its links.
AUDIT_KEY = _secret("DOLBOM_AUDIT_KEY")
AUDIT_OLD_KEYS = [k for k in os.environ.get("DOLBOM_AUDIT_OLD_KEYS", "").split(",") if k]
AUDIT_ANCHOR_FILE = Path(os.environ.get("DOLBOM_AUDIT_ANCHOR_FILE") or HOME / "audit-anchors.jsonl")

DEBUG = os.environ.get("DOLBOM_DEBUG", "") == "1" and not PRODUCTION


def _today_override() -> date | None:
    """A fixed "today" (core.dates.today_kst), so that a browser test can see a deadline pass without waiting for
    it. Read once, from the environment of the process: no request and no database row can move the date, and a
    production server refuses to start with it rather than count every deadline wrong."""
    text = os.environ.get("DOLBOM_TODAY", "").strip()
    if not text:
        return None
    if PRODUCTION:
        raise ImproperlyConfigured("DOLBOM_TODAY is for tests and demonstrations; unset it in production")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DOLBOM_TODAY must be a date such as 2026-12-01, not {text!r}") from exc


TODAY_OVERRIDE = _today_override()
PG_BIN = os.environ.get("DOLBOM_PG_BIN", "").strip()
ALLOWED_HOSTS = [h for h in os.environ.get("DOLBOM_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    # First, so that the shell's templates override the admin's (web/templates/admin/base_site.html).
    "dolbom.web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "captcha",
    "django_tasks",
    "django_tasks_db",
    "dolbom.core",
    "dolbom.registry",
    "dolbom.intake",
    "dolbom.discovery",
    "dolbom.reports",
    "dolbom.cases",
    "dolbom.resources",
    "dolbom.eligibility",
]

# Long work runs in `dolbom worker` processes (dolbom.core.jobs): the queue is a table of the application's database,
# so the embedded default needs no broker and PostgreSQL serves several workers.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

MIDDLEWARE = [
    # First: the access log sees the final status and the whole time; forwarded headers are believed only from
    # DOLBOM_TRUSTED_PROXIES before SecurityMiddleware reads X-Forwarded-Proto (dolbom/ops/middleware.py).
    "dolbom.ops.middleware.AccessLogMiddleware",
    "dolbom.ops.middleware.TrustedProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sees the final status of every request, including the refusals of the middleware below it.
    "dolbom.core.access_audit.DeniedAccessAuditMiddleware",
    "dolbom.web.middleware.MethodNotAllowedPageMiddleware",
    "dolbom.core.input_limits.ParameterLengthMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dolbom.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dolbom.urls"
WSGI_APPLICATION = "dolbom.wsgi.application"

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
                "dolbom.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DOLBOM_DATABASE_URL", f"sqlite:///{HOME / 'dolbom.sqlite3'}"),
        conn_max_age=0 if not PRODUCTION else 60,
        # A kept connection is checked before its first query of each request, so that after a database restart
        # the first requests reconnect instead of failing on a closed connection.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server read while an import writes; IMMEDIATE avoids upgrade deadlocks between writers.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"
LOCKOUT_FAILURES = int(os.environ.get("DOLBOM_LOCKOUT_FAILURES", "5"))
LOCKOUT_MINUTES = int(os.environ.get("DOLBOM_LOCKOUT_MINUTES", "15"))
SMALL_CELL = int(os.environ.get("DOLBOM_SMALL_CELL", "5"))
DENIED_AUDIT_PER_MINUTE = int(os.environ.get("DOLBOM_DENIED_AUDIT_PER_MINUTE", "20"))
MAX_FIELD_LENGTH = int(os.environ.get("DOLBOM_MAX_FIELD_LENGTH", "10000"))
CAMPAIGN_CONFIRM_ABOVE = int(os.environ.get("DOLBOM_CAMPAIGN_CONFIRM_ABOVE", "500"))
# The application's own Korean page, not Django's English one, when a form's CSRF token is missing or stale.
CSRF_FAILURE_VIEW = "dolbom.web.views.csrf_failure"

# The public report form (intake/views/public.py). Limits per address and clock hour, counted in the database
# (intake/services/public.py says why not a cache-based library); read at every request.
PUBLIC_REPORTS_PER_HOUR = int(os.environ.get("DOLBOM_PUBLIC_REPORTS_PER_HOUR", "10"))
PUBLIC_STATUS_PER_HOUR = int(os.environ.get("DOLBOM_PUBLIC_STATUS_PER_HOUR", "30"))
PUBLIC_AUDIO_PER_HOUR = int(os.environ.get("DOLBOM_PUBLIC_AUDIO_PER_HOUR", "20"))
# The challenge: django-simple-captcha, drawn by Pillow on the server, no outside service. Digits only, so that
# the spoken alternative can read them in Korean; one try per challenge, valid 10 minutes.
CAPTCHA_CHALLENGE_FUNCT = "dolbom.intake.services.public.digit_challenge"
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10
CAPTCHA_FONT_SIZE = 34
CAPTCHA_LETTER_ROTATION = (-20, 20)
CAPTCHA_2X_IMAGE = False
CAPTCHA_SPEECH = os.environ.get("DOLBOM_CAPTCHA_SPEECH", shutil.which("espeak-ng") or "")

# Login throttling: django-axes, made atomic and given three counters by dolbom.core.login_throttle (the policy is
# in docs/operations.md, "Login lockout"). Each limit, LOCKOUT_FAILURES and LOCKOUT_MINUTES above included, is read
# at every attempt, so a changed figure applies at once.
LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("DOLBOM_LOCKOUT_ADDRESS_FAILURES", "20"))
LOCKOUT_ACCOUNT_FAILURES = int(os.environ.get("DOLBOM_LOCKOUT_ACCOUNT_FAILURES", "10"))
LOCKOUT_KNOWN_DAYS = int(os.environ.get("DOLBOM_LOCKOUT_KNOWN_DAYS", "90"))
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("DOLBOM_TRUSTED_PROXIES", "").split(",") if p.strip()]
AUTHENTICATION_BACKENDS = [
    "dolbom.core.login_throttle.ThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "dolbom.core.login_throttle.AtomicDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]  # limits: in the handler
AXES_FAILURE_LIMIT = "dolbom.core.login_throttle.pair_limit"
AXES_COOLOFF_TIME = "dolbom.core.login_throttle.cool_off"
AXES_USERNAME_CALLABLE = "dolbom.core.login_throttle.lockout_username"
AXES_CLIENT_IP_CALLABLE = "dolbom.core.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "dolbom.core.login_throttle.lockout_response"
# A name typed into the user-name field may be a password or a resident number typed by mistake: the username
# callable above gives axes an account's name, or a keyed hash of anything else, which is then all that its
# tables (AccessAttempt, AccessLog) and its log lines hold; the form fields it copies are masked as well.
AXES_CLIENT_STR_CALLABLE = "dolbom.core.login_throttle.client_str"
AXES_SENSITIVE_PARAMETERS = ["username", "password", "ip_address"]
AXES_ENABLE_ACCESS_FAILURE_LOG = False  # one more table of typed names and addresses, for nothing the counters need
# A success clears only its own pair (in the handler): axes' reset would also clear the address's and the user
# name's counters, so logging into one's own account would wipe the trace of guessing at everyone else's.
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Attempts of the whole city (user names, addresses) are not for district administrators: unlocking is a command.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Sessions end after a period of inactivity and when the browser closes: shared office PCs are the norm.
SESSION_COOKIE_AGE = int(os.environ.get("DOLBOM_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "ko-kr"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# Uploaded signal files carry resident numbers: they wait in the data folder, never in a shared /tmp, in a folder
# only this user can open (the upload page's handler keeps them nameless: discovery/importing/upload.py).
FILE_UPLOAD_TEMP_DIR = private_dir(HOME / "uploads")


def _megabytes(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default))) * 2**20


# Limits of signal files (docs/operations.md): one upload must not be able to take the service down for everyone.
SIGNAL_MAX_BYTES = {
    "csv": _megabytes("DOLBOM_UPLOAD_MAX_CSV_MB", 256),
    "xlsx": _megabytes("DOLBOM_UPLOAD_MAX_XLSX_MB", 64),
    "parquet": _megabytes("DOLBOM_UPLOAD_MAX_PARQUET_MB", 128),
}
SIGNAL_MAX_ROWS = int(os.environ.get("DOLBOM_IMPORT_MAX_ROWS", "2000000"))
XLSX_MAX_UNPACKED_BYTES = _megabytes("DOLBOM_XLSX_MAX_UNPACKED_MB", 1024)
XLSX_MAX_PART_BYTES = _megabytes("DOLBOM_XLSX_MAX_PART_MB", 512)
XLSX_MAX_RATIO = float(os.environ.get("DOLBOM_XLSX_MAX_RATIO", "100"))
PARQUET_MAX_ROW_GROUP_BYTES = _megabytes("DOLBOM_PARQUET_MAX_ROW_GROUP_MB", 128)
SHEET_READER_MEMORY_BYTES = _megabytes("DOLBOM_SHEET_READER_MEMORY_MB", 2048)
# Each import holds its working memory (an Excel reader process up to SHEET_READER_MEMORY_BYTES, Parquet row groups,
# CSV blocks): several at once could exhaust the machine, so they take turns (core.tabular.limits).
IMPORTS_AT_ONCE = max(1, int(os.environ.get("DOLBOM_IMPORTS_AT_ONCE", "1")))

STATIC_URL = "static/"
# Outside production static files are served from the apps themselves (no collectstatic step for the demo).
STATIC_ROOT = HOME / "static" if PRODUCTION else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if not PRODUCTION:
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = DEBUG
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Monitoring asks the server itself over plain HTTP (docs/operations.md, "Serving in production").
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("DOLBOM_SSL_REDIRECT", "1") == "1"
    # Believed only from DOLBOM_TRUSTED_PROXIES: ops.middleware.TrustedProxyHeadersMiddleware drops it otherwise.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DOLBOM_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DOLBOM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# The JSON access log: on by default in production only (tests and the demo would print a line per request).
ACCESS_LOG = os.environ.get("DOLBOM_ACCESS_LOG", "1" if PRODUCTION else "0") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_rrn": {"()": "dolbom.core.logging.RedactResidentNumbers"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "message": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_rrn"], "formatter": "plain"},
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["redact_rrn"],
            "formatter": "message",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DOLBOM_LOG_LEVEL", "INFO")},
    "loggers": {
        # One JSON object per request, on standard output (dolbom.ops.middleware.AccessLogMiddleware).
        "dolbom.access": {"handlers": ["access"], "level": "INFO" if ACCESS_LOG else "WARNING", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # Refused requests (403, 404 …) are in the audit log, rate-limited; in the server log they were a
        # traceback each, which anyone signed in could multiply. Server errors (5xx) are still logged in full.
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "ERROR"},
        # WeasyPrint logs each step of every PDF (the minutes) at INFO, and fontTools each font it subsets.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
