"""Accord's own deployment checks, run by ``accord check --deploy`` next to Django's.

Each names the ACCORD_* variable to fix. They are tagged ``deploy`` so development and the
test suite do not trip over them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

HINT_KEYGEN = (
    "Create it once with `accord keys create` (or `openssl genpkey -algorithm ed25519 -out "
    "FILE && chmod 600 FILE`), escrow a copy, point ACCORD_SIGNING_KEY_FILE at it, and copy "
    "it unchanged to every other app machine."
)


@register(Tags.security, deploy=True)
def check_secret_and_debug(app_configs=None, **kwargs):
    # A missing ACCORD_SECRET_KEY stops start-up itself unless DEBUG is on (accord.settings),
    # and DEBUG is refused here.
    errors = []
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG is on: error pages would show settings and data to anyone.",
                hint="Set ACCORD_DEBUG=false in production.",
                id="accord.E002",
            )
        )
    hashers = [h for h in settings.PASSWORD_HASHERS if not h.endswith("MD5PasswordHasher")]
    if not hashers or not hashers[0].endswith("Argon2PasswordHasher"):
        errors.append(Warning("Passwords are not hashed with Argon2.", id="accord.W005"))
    if not settings.SITE_URL.startswith("https://"):
        errors.append(
            Warning(
                f"ACCORD_SITE_URL is {settings.SITE_URL!r}: links in emails would not use HTTPS.",
                hint="Set ACCORD_SITE_URL=https://your.portal.example",
                id="accord.W006",
            )
        )
    return errors


def _key_errors(path: Path, variable: str, purpose: str, ids: tuple[str, str]) -> list:
    """A key file that must exist before the first start (``accord keys create``), hold an
    unencrypted Ed25519 PEM key, and be readable by its owner alone."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    missing, exposed = ids
    hint = HINT_KEYGEN.replace("ACCORD_SIGNING_KEY_FILE", variable)
    if not path.is_file():
        return [
            Error(
                f"The {purpose} key {variable}={path} does not exist.",
                hint=hint,
                id=missing,
            )
        ]
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        return [
            Error(
                f"{variable}={path} is not a readable, unencrypted PEM key: {exc}",
                hint=hint,
                id=missing,
            )
        ]
    errors = []
    if not isinstance(key, Ed25519PrivateKey):
        errors.append(Error(f"{variable}={path} is not an Ed25519 key.", hint=hint, id=missing))
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        errors.append(
            Error(
                f"The {purpose} key {path} is readable by other users.",
                hint=f"chmod 600 {path}",
                id=exposed,
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_signing_key(app_configs=None, **kwargs):
    return _key_errors(
        Path(settings.SIGNING_KEY_FILE),
        "ACCORD_SIGNING_KEY_FILE",
        "signing",
        ("accord.E003", "accord.E004"),
    )


@register(Tags.security, deploy=True)
def check_audit_key(app_configs=None, **kwargs):
    """Created on first use otherwise: each app machine would make its own and the audit
    MACs would disagree (verify fails), so production wants it in place before start."""
    return _key_errors(
        Path(settings.AUDIT_KEY_FILE),
        "ACCORD_AUDIT_KEY_FILE",
        "audit",
        ("accord.E005", "accord.E006"),
    )


def _inside(child: Path, parent: Path | str | None) -> bool:
    if not parent:
        return False
    parent = Path(parent).resolve()
    child = child.resolve()
    return child == parent or child.is_relative_to(parent)


@register(Tags.security, deploy=True)
def check_protected_storage(app_configs=None, **kwargs):
    storage = settings.STORAGES["protected"]
    options = storage.get("OPTIONS", {})
    errors = []
    if storage["BACKEND"].endswith("FileSystemStorage"):
        root = Path(options.get("location") or settings.PROTECTED_ROOT)
        if options.get("base_url") is not None:
            errors.append(
                Error(
                    "The protected storage has a public base URL.",
                    hint="Protected files are only served through Accord's download views.",
                    id="accord.E010",
                )
            )
        public_roots = [settings.STATIC_ROOT, settings.MEDIA_ROOT, *settings.STATICFILES_DIRS]
        if any(_inside(root, p) for p in public_roots):
            errors.append(
                Error(
                    f"ACCORD_PROTECTED_ROOT={root} lies inside a folder served to the public "
                    "(static or media files).",
                    hint="Move ACCORD_PROTECTED_ROOT outside STATIC_ROOT and ACCORD_MEDIA_ROOT.",
                    id="accord.E011",
                )
            )
        if root.exists() and root.stat().st_mode & stat.S_IRWXO:
            errors.append(
                Error(
                    f"ACCORD_PROTECTED_ROOT={root} is accessible to every user of the server.",
                    hint=f"chmod o-rwx {root}",
                    id="accord.E012",
                )
            )
    else:
        if options.get("default_acl") not in (None, "private"):
            errors.append(
                Error(
                    f"The protected S3 storage uploads with ACL {options.get('default_acl')!r}.",
                    hint="Protected files must be private (default_acl 'private').",
                    id="accord.E013",
                )
            )
        if not options.get("querystring_auth", True) or options.get("custom_domain"):
            errors.append(
                Error(
                    "The protected S3 storage hands out unsigned (public) URLs.",
                    hint="Keep querystring_auth on and no custom_domain.",
                    id="accord.E014",
                )
            )
    return errors


def _gunicorn_tcp_bind() -> str | None:
    """gunicorn's TCP address if deploy/gunicorn.conf.py binds to one (GUNICORN_BIND in
    accord.env), None for the documented unix socket."""
    bind = os.environ.get("GUNICORN_BIND", "").strip()
    if not bind or bind.startswith(("unix:", "fd://")):
        return None
    return bind


@register(Tags.security, deploy=True)
def check_client_address(app_configs=None, **kwargs):
    """Sign-in, the lockout and the audit trail need each visitor's own address, which only
    the proxy knows (accord.core.net)."""
    import ipaddress

    errors = []
    bind = _gunicorn_tcp_bind()
    if bind and settings.BEHIND_TLS_PROXY and not settings.TRUSTED_PROXIES:
        errors.append(
            Error(
                f"gunicorn listens on TCP (GUNICORN_BIND={bind}) behind a proxy, but "
                "ACCORD_TRUSTED_PROXIES is empty: the proxy's X-Real-IP is ignored, so every "
                "visitor has the proxy's address. One stranger's failed sign-ins would lock "
                "an account for everyone, and the audit trail could not tell visitors apart.",
                hint="Set ACCORD_TRUSTED_PROXIES to the proxy's address as gunicorn sees it "
                "(e.g. 127.0.0.1), or bind gunicorn to the unix socket as deploy/ does.",
                id="accord.E020",
            )
        )
    for value in settings.TRUSTED_PROXIES:
        network = ipaddress.ip_network(value)
        if network.num_addresses > 1 and not (network.is_private or network.is_loopback):
            errors.append(
                Error(
                    f"ACCORD_TRUSTED_PROXIES contains {value}, which holds public addresses: "
                    "any host in it that reaches gunicorn could send its own X-Real-IP and "
                    "choose the address the sign-in lockout counts.",
                    hint="List only the proxy's own address(es).",
                    id="accord.E021",
                )
            )
    if "ACCORD_TRUST_X_REAL_IP" in os.environ:
        errors.append(
            Warning(
                "ACCORD_TRUST_X_REAL_IP is no longer read: X-Real-IP is believed only from "
                "gunicorn's unix socket and from ACCORD_TRUSTED_PROXIES, never from any "
                "client that can reach gunicorn.",
                hint="Remove ACCORD_TRUST_X_REAL_IP; with gunicorn on TCP behind nginx, set "
                "ACCORD_TRUSTED_PROXIES to nginx's address.",
                id="accord.W020",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_malware_scanning(app_configs=None, **kwargs):
    """What is scanned and what is served without a scan (agreements.signed_pdf, access.policy)."""
    from accord.catalog.scanning import ping

    errors = []
    if not settings.CLAMD_ADDRESS:
        errors.append(
            Warning(
                "No virus scanner is configured: signed agreements are stored unscanned "
                "(reviewers see 'not scanned') and dataset files are ingested unscanned"
                + (
                    "."
                    if settings.SERVE_UNSCANNED_FILES
                    else ", so none of them is listed or served."
                ),
                hint="apt-get install clamav-daemon and set "
                "ACCORD_CLAMD_ADDRESS=/run/clamav/clamd.ctl (or tcp://host:port).",
                id="accord.W030",
            )
        )
    elif not ping(settings.CLAMD_ADDRESS):
        errors.append(
            Error(
                f"The virus scanner at ACCORD_CLAMD_ADDRESS={settings.CLAMD_ADDRESS} does not "
                "answer: every agreement upload and dataset ingest is refused until it does.",
                hint="Start clamd (systemctl start clamav-daemon) or fix ACCORD_CLAMD_ADDRESS.",
                id="accord.E030",
            )
        )
    if settings.SERVE_UNSCANNED_FILES:
        errors.append(
            Warning(
                "ACCORD_SERVE_UNSCANNED_FILES is on: dataset files no scanner passed as clean "
                "(ingested without one, or too large for it) are listed and served.",
                hint="Set ACCORD_SERVE_UNSCANNED_FILES=false, scan the files (configure "
                "ACCORD_CLAMD_ADDRESS, raise clamd's StreamMaxLength above the largest file) "
                "and ingest again.",
                id="accord.W031",
            )
        )
    return errors


# Secrets an operator may hand over as files (ACCORD_<NAME>_FILE, accord.core.env).
SECRET_FILE_VARIABLES = (
    "ACCORD_SECRET_KEY",
    "ACCORD_DATABASE_URL",
    "ACCORD_EMAIL_HOST_PASSWORD",
    "ACCORD_STORAGE_S3_SECRET_ACCESS_KEY",
)


@register(Tags.security, deploy=True)
def check_secret_files(app_configs=None, **kwargs):
    """nginx joins the accord group to read protected files (deploy/README.md), so a secret
    readable by the group is readable by the web server, and by anyone else if by others."""
    files = [
        (f"{name}_FILE", Path(os.environ[f"{name}_FILE"]))
        for name in SECRET_FILE_VARIABLES
        if os.environ.get(f"{name}_FILE")
    ]
    errors = []
    for source, path in files:
        try:
            mode = path.stat().st_mode
        except OSError:
            continue  # settings could not have started without it; nothing to add
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            why = (
                ": whoever reads it can forge sessions and password-reset links"
                if source == "ACCORD_SECRET_KEY_FILE"
                else ""
            )
            errors.append(
                Error(
                    f"{path} ({source}) can be read by users other than its owner (mode "
                    f"{stat.S_IMODE(mode):04o}){why}.",
                    hint=f"chown accord {path} && chmod 600 {path}",
                    id="accord.E022",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_sign_in_protection(app_configs=None, **kwargs):
    """Two-factor for staff (accord.ops.mfa) and the lockout after failed sign-ins (django-axes)
    are wired in settings; a settings module that drops them would lose them silently."""
    errors = []
    middleware = list(settings.MIDDLEWARE)
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    mfa = "accord.ops.mfa.StaffMfaMiddleware"
    if (
        mfa not in middleware
        or auth not in middleware
        or middleware.index(mfa) < middleware.index(auth)
        or "allauth.mfa" not in settings.INSTALLED_APPS
        or "totp" not in getattr(settings, "MFA_SUPPORTED_TYPES", [])
    ):
        errors.append(
            Error(
                "Two-factor authentication is not enforced for custodian staff and superusers: "
                f"{mfa} must come after {auth}, with allauth.mfa installed and 'totp' in "
                "MFA_SUPPORTED_TYPES. A stolen staff password would open every application "
                "and licence of the custodian.",
                hint="Use accord.settings' MIDDLEWARE, INSTALLED_APPS and MFA_SUPPORTED_TYPES "
                "unchanged (or add the missing entries back).",
                id="accord.E023",
            )
        )
    axes_wired = (
        "axes.middleware.AxesMiddleware" in middleware
        and settings.AUTHENTICATION_BACKENDS[:1] == ["axes.backends.AxesStandaloneBackend"]
    )
    if not settings.AXES_ENABLED or not axes_wired:
        errors.append(
            Error(
                "The lockout after failed sign-ins (django-axes) is off: nothing slows down "
                "password guessing.",
                hint="Set ACCORD_AXES_ENABLED=true (the default), and keep axes' backend first "
                "in AUTHENTICATION_BACKENDS and AxesMiddleware in MIDDLEWARE.",
                id="accord.E024",
            )
        )
    return errors
