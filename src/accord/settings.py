"""Accord's one settings module: every value comes from the environment (ACCORD_*).

Bad values raise ImproperlyConfigured at start-up naming the variable. The defaults are safe
for production (DEBUG off, secure cookies, a secret key required); the demo asks for what it
needs explicitly (ACCORD_DEBUG=true), and the test suite's own settings (tests/settings.py)
adjust what tests need. Nothing here asks whether it runs under a test runner.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from accord.core.env import env_bool, env_choice, env_int, env_list, env_str
from accord.core.net import parse_trusted_proxies

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("ACCORD_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DEBUG = env_bool("ACCORD_DEBUG", False)


def _secret_key() -> str:
    """ACCORD_SECRET_KEY (or ACCORD_SECRET_KEY_FILE). Only with DEBUG (the demo) is a random key
    generated once and kept in DATA_DIR/secret_key: a production install that lost its key must
    stop, not silently sign everyone out and invalidate every signed link."""
    key = env_str("ACCORD_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("ACCORD_SECRET_KEY must be at least 32 characters long.")
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "ACCORD_SECRET_KEY (or ACCORD_SECRET_KEY_FILE) is required when ACCORD_DEBUG is off. "
            "Create one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        # Created 0600 in one step: never readable by others, not even for a moment.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ACCORD_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("ACCORD_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("ACCORD_SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
SITE_NAME = env_str("ACCORD_SITE_NAME", "Accord") or "Accord"

INSTALLED_APPS = [
    # Before admin: translated catalogue fields (name_zh_hans, ...) with their admin widgets.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "axes",
    # Only for its Swagger UI assets: /api/v1/docs loads them from our static files (the CSP
    # allows no CDN).
    "ninja",
    "accord.core",
    "accord.accounts",
    "accord.catalog",
    "accord.audit",
    "accord.agreements",
    "accord.licences",
    "accord.access",
    "accord.downloads",
    "accord.publications",
    "accord.notifications",
    "accord.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before common; no URL prefixes: the language is the switcher's cookie, else the
    # browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accord.ops.middleware.RefuseNulMiddleware",
    "accord.ops.middleware.ApiProblemMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's saved preference wins over the browser (accounts.languages).
    "accord.accounts.languages.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accord.ops.mfa.StaffMfaMiddleware",
    "axes.middleware.AxesMiddleware",
    "accord.audit.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "accord.urls"
WSGI_APPLICATION = "accord.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accord.core.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_default_db = f"sqlite:///{DATA_DIR / 'accord.sqlite3'}"
DATABASE_URL = env_str("ACCORD_DATABASE_URL", _default_db) or _default_db
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("ACCORD_DB_CONN_MAX_AGE", 0))
except ValueError as exc:  # unknown scheme and similar
    raise ImproperlyConfigured(f"ACCORD_DATABASE_URL is not a usable database URL: {exc}") from exc
# The download authorisation's query is PREPAREd once per PostgreSQL session (planning it
# costs ten times running it). Behind PgBouncer in transaction pooling a session's statements
# are not there on the next transaction's server connection: set this to false there.
DB_PREPARED_STATEMENTS = env_bool("ACCORD_DB_PREPARED_STATEMENTS", True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] not in ("", ":memory:"):
        try:
            Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"ACCORD_DATABASE_URL: cannot create the folder for {_db['NAME']}: {exc}"
            ) from exc
    _db["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("ACCORD_SQLITE_TIMEOUT", 20, minimum=1),
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # allauth's backend, finding people by verified address only (accord.accounts.selectors).
    "accord.accounts.backends.EmailAuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
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
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accord.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "accord.accounts.forms.SignupExtraForm"
# An address counts only once verified: an unverified one (typed in at sign-up, or added as
# an extra address) neither blocks its owner's sign-up nor receives a password reset
# (accord.accounts.auth_forms). Pages never say whether an address has an account; the
# mailbox is told instead (allauth's "account exists" / "no such account" emails).
ACCOUNT_FORMS = {
    "signup": "accord.accounts.auth_forms.SignupForm",
    "reset_password": "accord.accounts.auth_forms.ResetPasswordForm",
}
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
# People keep several verified addresses (invitations reach any of them), so adding one is not
# a change of address.
ACCOUNT_CHANGE_EMAIL = False
# A changed password keeps the browser that changed it signed in and ends every other session
# (and revokes API tokens: accord.accounts.receivers).
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"

# Login throttling (django-axes): lock an account+address pair after repeated failures.
AXES_ENABLED = env_bool("ACCORD_AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("ACCORD_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("ACCORD_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on every `accord` command
AXES_CLIENT_IP_CALLABLE = "accord.core.net.axes_client_ip"
AXES_USERNAME_CALLABLE = "accord.ops.throttle.axes_username"
AXES_LOCKOUT_TEMPLATE = "security/lockout.html"

# Two-factor (allauth.mfa, TOTP): required of custodian staff and superusers by
# accord.ops.mfa.StaffMfaMiddleware. Sensitive staff actions (accord.core.decorators.sensitive)
# need a sign-in or re-authentication within ACCORD_REAUTH_SECONDS.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "accord.ops.mfa.MfaAdapter"
MFA_TOTP_ISSUER = SITE_NAME
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("ACCORD_REAUTH_SECONDS", 900, minimum=60)

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("ACCORD_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# No script of ours reads the CSRF cookie (forms carry the token), so scripts may not either.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
BEHIND_TLS_PROXY = env_bool("ACCORD_BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# nginx's X-Real-IP is believed from the unix socket and from these addresses or networks
# only (gunicorn on TCP behind nginx: nginx's address); accord.core.net.
TRUSTED_PROXIES = parse_trusted_proxies(
    "ACCORD_TRUSTED_PROXIES", env_list("ACCORD_TRUSTED_PROXIES", [])
)
# Behind a TLS proxy a plain-HTTP request is a mistake: redirect it (unless told otherwise).
SECURE_SSL_REDIRECT = env_bool("ACCORD_SSL_REDIRECT", SECURE_PROXY_SSL_HEADER is not None)
SECURE_HSTS_SECONDS = env_int("ACCORD_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("ACCORD_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list binds every subdomain for years: the operator opts
# in with ACCORD_HSTS_PRELOAD, so its absence is not a deployment defect.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# --- Files ----------------------------------------------------------------------------------
STORAGE_BACKEND = env_choice("ACCORD_STORAGE_BACKEND", ("filesystem", "s3"), "filesystem")
PROTECTED_ROOT = Path(env_str("ACCORD_PROTECTED_ROOT", str(DATA_DIR / "protected"))).resolve()
MEDIA_ROOT = Path(env_str("ACCORD_MEDIA_ROOT", str(DATA_DIR / "media"))).resolve()
# `accord ingest`'s journal (what an interrupted ingest already hashed and copied) and lock.
INGEST_STATE_DIR = Path(env_str("ACCORD_INGEST_STATE_DIR", str(DATA_DIR / "ingest"))).resolve()
MEDIA_URL = "/media-not-served/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
if STORAGE_BACKEND == "s3":
    _s3_options = {
        "bucket_name": env_str("ACCORD_STORAGE_S3_BUCKET"),
        "endpoint_url": env_str("ACCORD_STORAGE_S3_ENDPOINT_URL"),
        "access_key": env_str("ACCORD_STORAGE_S3_ACCESS_KEY_ID"),
        "secret_key": env_str("ACCORD_STORAGE_S3_SECRET_ACCESS_KEY"),
        "region_name": env_str("ACCORD_STORAGE_S3_REGION"),
        # SigV4 whatever the region: without it botocore presigns with SigV2 when no region is
        # set, which cannot sign the Range header (the URL would yield the whole file) and
        # which newer AWS regions refuse.
        "signature_version": "s3v4",
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
    }
    if not _s3_options["bucket_name"]:
        raise ImproperlyConfigured(
            "ACCORD_STORAGE_S3_BUCKET is required with ACCORD_STORAGE_BACKEND=s3."
        )
    _protected_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
else:
    _protected_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # base_url None: protected files have no public URL at all.
        "OPTIONS": {
            "location": str(PROTECTED_ROOT),
            "base_url": None,
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    },
    "protected": _protected_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Downloads and signing ------------------------------------------------------------------
DOWNLOAD_BACKEND = env_choice("ACCORD_DOWNLOAD_BACKEND", ("django", "nginx", "s3"), "django")
DOWNLOAD_LINK_TTL = env_int("ACCORD_DOWNLOAD_LINK_TTL", 600, minimum=10)
# After a revocation, how much more a transfer already under way may carry (deploy/README.md
# §7): the django backend asks the policy again every N seconds or M bytes, whichever comes
# first; nginx and S3 are handed responses of at most MAX_RESPONSE_BYTES (larger requests are
# streamed by Django itself); 0 lets them send whole files again.
DOWNLOAD_RECHECK_SECONDS = env_int("ACCORD_DOWNLOAD_RECHECK_SECONDS", 15, minimum=1)
DOWNLOAD_RECHECK_BYTES = env_int(
    "ACCORD_DOWNLOAD_RECHECK_BYTES", 64 * 1024 * 1024, minimum=256 * 1024
)
DOWNLOAD_MAX_RESPONSE_BYTES = env_int(
    "ACCORD_DOWNLOAD_MAX_RESPONSE_BYTES", 64 * 1024 * 1024, minimum=0
)
DOWNLOAD_NGINX_PREFIX = env_str("ACCORD_DOWNLOAD_NGINX_PREFIX", "/_protected/") or "/_protected/"
SIGNING_KEY_FILE = Path(
    env_str("ACCORD_SIGNING_KEY_FILE", str(DATA_DIR / "signing_ed25519.pem"))
).resolve()
# What the files page tells researchers to `pip install` for `accord fetch`: a package name on
# their index, a wheel URL or `accord-client @ git+https://…#subdirectory=client`.
CLIENT_INSTALL = env_str("ACCORD_CLIENT_INSTALL", "accord-client") or "accord-client"

# --- Audit trail (accord.audit) --------------------------------------------------------------
# The audit key signs checkpoints and backup manifests and keys the per-event MACs; it is a
# different key from the manifest signing key (see accord.audit.keys for why).
AUDIT_KEY_FILE = Path(
    env_str("ACCORD_AUDIT_KEY_FILE", str(DATA_DIR / "audit_ed25519.pem"))
).resolve()
# At most this long (plus the worker's delay) between an event and a signed checkpoint over it.
AUDIT_CHECKPOINT_SECONDS = env_int("ACCORD_AUDIT_CHECKPOINT_SECONDS", 300, minimum=10)
# Download events go to a journal (no chain lock) and are sealed into the chain by the worker
# in batches of at most AUDIT_JOURNAL_BATCH rows, at most AUDIT_JOURNAL_SEAL_SECONDS after
# they were written (accord.audit.journal; `accord schedule` seals what a dead worker left).
AUDIT_JOURNAL_SEAL_SECONDS = env_int("ACCORD_AUDIT_JOURNAL_SEAL_SECONDS", 5, minimum=1)
AUDIT_JOURNAL_BATCH = env_int("ACCORD_AUDIT_JOURNAL_BATCH", 5000, minimum=1)
# `accord audit verify` walks a chain of at least AUDIT_VERIFY_PARALLEL_MIN events in
# AUDIT_VERIFY_WORKERS forked processes, one segment each (1: one process).
AUDIT_VERIFY_WORKERS = env_int(
    "ACCORD_AUDIT_VERIFY_WORKERS", min(os.cpu_count() or 1, 4), minimum=1
)
AUDIT_VERIFY_PARALLEL_MIN = env_int("ACCORD_AUDIT_VERIFY_PARALLEL_MIN", 20000, minimum=2)

# --- Agreements (PDF intake limits) ---------------------------------------------------------
AGREEMENT_MAX_BYTES = env_int("ACCORD_AGREEMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
AGREEMENT_MAX_PAGES = env_int("ACCORD_AGREEMENT_MAX_PAGES", 30, minimum=1)
# Rejected, withdrawn and abandoned applications (with their stored agreements) are deleted
# this many days after their last change; a dataset may set its own period.
APPLICATION_RETENTION_DAYS = env_int("ACCORD_APPLICATION_RETENTION_DAYS", 365, minimum=1)
# A submitted application waiting longer than this for a decision is overdue: the review
# queue counts and marks it.
REVIEW_OVERDUE_DAYS = env_int("ACCORD_REVIEW_OVERDUE_DAYS", 7, minimum=1)


def _pades_trust_roots() -> Path | None:
    """ACCORD_PADES_TRUST_ROOTS: a PEM bundle of the CAs whose certificates may sign agreements
    digitally. Unset: digital signatures are still checked, and shown as 'signer not trusted'."""
    value = env_str("ACCORD_PADES_TRUST_ROOTS", "")
    if not value:
        return None
    path = Path(value).resolve()
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"ACCORD_PADES_TRUST_ROOTS: cannot read {path}: {exc}") from exc
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ImproperlyConfigured(f"ACCORD_PADES_TRUST_ROOTS: {path} holds no PEM certificate.")
    return path


PADES_TRUST_ROOTS = _pades_trust_roots()

# --- Malware scanning (ClamAV's clamd; accord.catalog.scanning) ------------------------------
# A unix socket path or tcp://host:port. Unset: files are recorded as "skipped" (not scanned).
CLAMD_ADDRESS = env_str("ACCORD_CLAMD_ADDRESS", "") or ""
CLAMD_TIMEOUT = env_int("ACCORD_CLAMD_TIMEOUT", 120, minimum=1)
# Whether dataset files no scanner has passed as clean (ingested without a scanner, or too
# large for it) are listed and served (accord.access.policy). Infected ones never are. Off in
# production; on in the demo (and the tests), whose files are ingested without clamd.
SERVE_UNSCANNED_FILES = env_bool("ACCORD_SERVE_UNSCANNED_FILES", DEBUG)

# --- Email ----------------------------------------------------------------------------------
_email_backend = env_choice(
    "ACCORD_EMAIL_BACKEND", ("smtp", "console", "locmem", "file"), "console" if DEBUG else "smtp"
)
# Every email is written to the outbox in the transaction that causes it and delivered by the
# task worker with the real backend (accord.notifications.outbox).
EMAIL_BACKEND = "accord.notifications.outbox.QueuedEmailBackend"
EMAIL_DELIVERY_BACKEND = f"django.core.mail.backends.{_email_backend}.EmailBackend"
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = env_str("ACCORD_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("ACCORD_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("ACCORD_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("ACCORD_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ACCORD_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("ACCORD_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("ACCORD_EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("ACCORD_DEFAULT_FROM_EMAIL", "Accord <accord@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks -----------------------------------------------------------------------
_tasks_backend = env_choice("ACCORD_TASKS_BACKEND", ("database", "immediate"), "database")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if _tasks_backend == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
    }
}

# --- Misc -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The custodians' languages (issue #14). Catalogues live in src/accord/locale and are compiled
# by `make install`; `make test` fails on an untranslated or stale one (tests/i18n).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("fi", "Suomi")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Catalogue content (datasets, clauses) falls back to the original English text.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# A dataset created while another language is active still gets its English original.
MODELTRANSLATION_AUTO_POPULATE = "default"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ACCORD_LOG_LEVEL", "INFO")},
}
