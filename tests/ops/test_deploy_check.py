"""`accord check --deploy` passes with the production example settings and fails, naming the
variable to fix, when DEBUG is on, the signing key is missing or protected files are public."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clamav import clamd  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [
    p
    for p in (ROOT / "deploy" / "accord.env.example", ROOT / "deploy" / "production.env.example")
    if p.exists()
]
ACCORD = str(Path(sys.executable).with_name("accord"))
# Where the examples put things on a real server, and where the test puts them instead.
MOVED = {"/etc/accord": "etc", "/var/lib/accord": "var", "/srv/accord": "srv"}
KEY_FILES = ("ACCORD_SIGNING_KEY_FILE", "ACCORD_AUDIT_KEY_FILE")


def _example_env(example: Path, tmp_path: Path) -> dict[str, str]:
    """The example's values, with its /etc and /var paths moved under tmp_path, and the
    secret and signing key it points at created the way an operator would."""
    env = {}
    for line in example.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip().strip('"').strip("'")
        for real, fake in MOVED.items():
            value = value.replace(real, str(tmp_path / fake))
        env[key.strip()] = value
    # No database server is needed for the checks; keep one out of reach.
    env["ACCORD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'check.sqlite3'}"
    (tmp_path / "etc").mkdir(mode=0o750, exist_ok=True)
    (tmp_path / "var").mkdir(mode=0o750, exist_ok=True)
    for key, value in env.items():  # secrets from files: the operator creates them
        if key.endswith("_FILE") and key not in KEY_FILES:
            secret = Path(value)
            secret.parent.mkdir(parents=True, exist_ok=True)
            secret.write_text("s" * 20 + "-production-like-secret-for-the-check-test")
            secret.chmod(0o600)
    for key in KEY_FILES:
        env.setdefault(key, str(tmp_path / "etc" / f"{key.lower()}.pem"))
    # The keys as deploy/README.md step 4 makes them, before the first check.
    created = _accord(env, "keys", "create")
    assert created.returncode == 0, created.stdout + created.stderr
    protected = Path(env.get("ACCORD_PROTECTED_ROOT", tmp_path / "var" / "protected"))
    protected.mkdir(mode=0o750, parents=True, exist_ok=True)
    protected.chmod(0o750)
    return env


def _accord(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    clean.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run(
        [ACCORD, *args], env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return _accord(env, "check", "--deploy", "--fail-level", "WARNING")


@pytest.fixture(params=EXAMPLES, ids=lambda p: p.name)
def example_env(request, tmp_path):
    return _example_env(request.param, tmp_path)


def test_there_is_a_production_example():
    assert EXAMPLES, "deploy/accord.env.example or deploy/production.env.example must exist"


@pytest.fixture
def scanning_env(example_env, clamd):  # noqa: F811
    """The example with its clamd running (a test clamd on its own socket stands in for
    /run/clamav/clamd.ctl): an unanswering scanner is a deploy error of its own."""
    return {**example_env, "ACCORD_CLAMD_ADDRESS": clamd}


def test_production_example_passes_every_deploy_check(scanning_env):
    result = _check(scanning_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_on_fails(example_env):
    result = _check({**example_env, "ACCORD_DEBUG": "true"})
    assert result.returncode != 0
    assert "accord.E002" in result.stderr and "ACCORD_DEBUG=false" in result.stderr


def test_missing_signing_key_fails(example_env, tmp_path):
    result = _check({**example_env, "ACCORD_SIGNING_KEY_FILE": str(tmp_path / "nope.pem")})
    assert result.returncode != 0
    assert "accord.E003" in result.stderr and "nope.pem does not exist" in result.stderr


def test_world_readable_signing_key_fails(example_env):
    Path(example_env["ACCORD_SIGNING_KEY_FILE"]).chmod(0o644)
    result = _check(example_env)
    assert "accord.E004" in result.stderr and "chmod 600" in result.stderr


def test_a_machine_without_the_audit_key_is_refused_before_it_makes_its_own(example_env):
    """A second app machine started without a copy of the audit key would create one of its
    own on first use, and every event it MACs would then fail verification."""
    audit_key = Path(example_env["ACCORD_AUDIT_KEY_FILE"])
    audit_key.unlink()
    result = _check(example_env)
    assert result.returncode != 0
    assert "accord.E005" in result.stderr and "accord keys create" in result.stderr
    assert not audit_key.exists()  # the check itself never creates it


def test_keys_create_never_replaces_a_key_and_show_prints_the_same_fingerprints(example_env):
    before = {k: Path(example_env[k]).read_bytes() for k in KEY_FILES}
    shown = _accord(example_env, "keys", "show")
    again = _accord(example_env, "keys", "create")
    assert again.returncode == 0, again.stderr
    assert {k: Path(example_env[k]).read_bytes() for k in KEY_FILES} == before
    assert "exists at" in again.stdout and "created" not in again.stdout
    fingerprints = [line.rsplit(" ", 1)[1] for line in shown.stdout.splitlines()]
    assert len(fingerprints) == 2 and all(len(f) == 16 for f in fingerprints)
    assert all(f in again.stdout for f in fingerprints)
    for key in KEY_FILES:
        assert Path(example_env[key]).stat().st_mode & 0o077 == 0


def test_protected_files_inside_public_media_fail(example_env, tmp_path):
    media = tmp_path / "public-media"
    inside = media / "protected"
    inside.mkdir(parents=True)
    inside.chmod(0o750)
    result = _check(
        {**example_env, "ACCORD_MEDIA_ROOT": str(media), "ACCORD_PROTECTED_ROOT": str(inside)}
    )
    assert result.returncode != 0
    assert "accord.E011" in result.stderr


def test_missing_secret_key_stops_start_up(example_env):
    env = {k: v for k, v in example_env.items() if not k.startswith("ACCORD_SECRET_KEY")}
    result = _check(env)
    assert result.returncode != 0
    assert "ACCORD_SECRET_KEY (or ACCORD_SECRET_KEY_FILE) is required" in result.stderr
    assert not (Path(env["ACCORD_DATA_DIR"]) / "secret_key").exists()


def test_gunicorn_on_tcp_behind_the_proxy_without_trusted_proxies_fails(example_env):
    """Every visitor would have nginx's address: one stranger locks an account for all."""
    result = _check({**example_env, "GUNICORN_BIND": "127.0.0.1:8000"})
    assert result.returncode != 0
    assert "accord.E020" in result.stderr and "ACCORD_TRUSTED_PROXIES" in result.stderr


def test_gunicorn_on_tcp_with_its_proxy_listed_passes(scanning_env):
    env = {**scanning_env, "GUNICORN_BIND": "127.0.0.1:8000", "ACCORD_TRUSTED_PROXIES": "127.0.0.1"}
    result = _check(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_trusting_x_real_ip_from_public_networks_fails(example_env):
    """Anyone in 0.0.0.0/0 could choose the address the lockout counts."""
    env = {**example_env, "GUNICORN_BIND": "0.0.0.0:8000", "ACCORD_TRUSTED_PROXIES": "0.0.0.0/0"}
    result = _check(env)
    assert result.returncode != 0
    assert "accord.E021" in result.stderr and "0.0.0.0/0" in result.stderr


def test_the_old_trust_x_real_ip_switch_is_reported_as_ignored(example_env):
    result = _check({**example_env, "ACCORD_TRUST_X_REAL_IP": "true"})
    assert "accord.W020" in result.stderr and "no longer read" in result.stderr


def test_secret_key_file_readable_by_the_group_fails(example_env):
    """nginx is in the accord group: a 0640 key would be readable by the web server."""
    key = Path(example_env["ACCORD_SECRET_KEY_FILE"])
    key.chmod(0o640)
    result = _check(example_env)
    assert result.returncode != 0
    assert "accord.E022" in result.stderr and f"chmod 600 {key}" in result.stderr


def test_disabled_lockout_fails(example_env):
    result = _check({**example_env, "ACCORD_AXES_ENABLED": "false"})
    assert result.returncode != 0
    assert "accord.E024" in result.stderr and "ACCORD_AXES_ENABLED=true" in result.stderr


def test_settings_without_staff_two_factor_fail(example_env, tmp_path):
    """A site's own settings module that drops the two-factor middleware is caught."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "site_settings.py").write_text(
        "from accord.settings import *  # noqa: F403\n"
        "MIDDLEWARE = [m for m in MIDDLEWARE if not m.endswith('StaffMfaMiddleware')]  # noqa\n"
    )
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    env = {**example_env, "DJANGO_SETTINGS_MODULE": "site_settings", "PYTHONPATH": path}
    result = _check(env)
    assert result.returncode != 0
    assert "accord.E023" in result.stderr and "Two-factor" in result.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_example_can_be_sourced_by_a_shell_as_the_deploy_guide_does(example):
    # systemd reads it as an EnvironmentFile; deploy/README.md also sources it with `. file`.
    shell = subprocess.run(
        ["sh", "-c", 'set -a; . "$0"; env', str(example)],
        capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"]},
    )  # fmt: skip
    assert shell.returncode == 0, shell.stderr
    sourced = dict(line.split("=", 1) for line in shell.stdout.splitlines() if "=" in line)
    assert sourced["ACCORD_DEFAULT_FROM_EMAIL"] == "Accord <accord@example.org>"
