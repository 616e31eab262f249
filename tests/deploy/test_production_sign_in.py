"""Signing in under the documented production layout: real nginx (deploy/nginx, TLS) in front
of real gunicorn (deploy/gunicorn.conf.py) on a unix socket, DEBUG off, a file database the
test migrates. And the client address the lockout counts cannot be chosen by the client."""

from __future__ import annotations

import os
import re
import secrets
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.nginx import (
    free_port,
    nginx_binary,
    render_site,
    running_nginx,
    self_signed_certificate,
    wait_for_port,
)
from tests.tools import need_executable

pytestmark = [pytest.mark.nginx, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "a long enough test password 42"
# One account per test: a lockout in one test must not shut the next one out.
USERS = {
    "sign-in": "signer-in@uni.example.edu",
    "spoof": "spoofed@uni.example.edu",
    "proxy": "behind-proxy@uni.example.edu",
}
CREATE_USERS = f"""
from allauth.account.models import EmailAddress
from accord.accounts.models import User
for email in {list(USERS.values())!r}:
    user = User.objects.create_user(email=email, password={PASSWORD!r}, full_name="Test Person")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
"""


def _accord(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(BIN / "accord"), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"accord {' '.join(args)}: {result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """A production-like Accord (DEBUG off, Argon2, collected static files, a migrated file
    database with the test accounts) that gunicorn processes share."""
    root = tmp_path_factory.mktemp("prod")
    var = root / "var"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ACCORD_", "DJANGO_", "PYTEST_", "GUNICORN_"))
    }
    env.update(
        ACCORD_DATA_DIR=str(var),
        ACCORD_DATABASE_URL=f"sqlite:///{var / 'accord.sqlite3'}",
        ACCORD_SECRET_KEY=secrets.token_urlsafe(50),
        ACCORD_DEBUG="false",
        ACCORD_ALLOWED_HOSTS="127.0.0.1",
        ACCORD_SITE_URL="https://127.0.0.1",
        ACCORD_EMAIL_BACKEND="file",
        ACCORD_TASKS_BACKEND="immediate",
        ACCORD_SIGNING_KEY_FILE=str(var / "signing.pem"),
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
    )
    _accord(env, "migrate", "--noinput")
    _accord(env, "collectstatic", "--noinput")
    _accord(env, "shell", "-c", CREATE_USERS)
    return {"root": root, "env": env, "db": var / "accord.sqlite3", "static": var / "staticfiles"}


def _wait_for_unix_socket(path: Path, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn did not start: {proc.stdout.read().decode()}")
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(path))
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not listen on {path} within {timeout} s")


@contextmanager
def gunicorn(production: dict, bind: str, **env: str) -> Iterator[None]:
    """The shipped deploy/gunicorn.conf.py, bound to ``bind`` (GUNICORN_BIND, as documented)."""
    binary = need_executable(
        "gunicorn", "production sign-in runs real gunicorn", candidates=(str(BIN / "gunicorn"),)
    )
    proc = subprocess.Popen(
        [binary, "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
        env={**production["env"], "GUNICORN_BIND": bind, **env},
        cwd=production["root"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        if bind.startswith("unix:"):
            _wait_for_unix_socket(Path(bind.removeprefix("unix:")), proc)
        else:
            wait_for_port(int(bind.rsplit(":", 1)[1]), proc, "gunicorn", timeout=20)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _rows(production: dict, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(production["db"]) as db:
        return db.execute(sql, params).fetchall()


def _login_form(client: httpx.Client) -> str:
    page = client.get("/accounts/login/")
    assert page.status_code == 200, page.text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _sign_in(client: httpx.Client, email: str, password: str, **headers: str) -> httpx.Response:
    token = _login_form(client)
    return client.post(
        "/accounts/login/",
        data={"login": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": str(client.base_url.join("/accounts/login/")), **headers},
        follow_redirects=True,
    )


@pytest.fixture
def proxied(production, tmp_path) -> Iterator[httpx.Client]:
    """A client of the documented layout: nginx with TLS in front of gunicorn on a unix
    socket."""
    sock = tmp_path / "gunicorn.sock"
    port = free_port()
    conf = tmp_path / "nginx"
    conf.mkdir()
    render_site(
        conf,
        upstream=f"unix:{sock}",
        port=port,
        protected_root=production["root"] / "var" / "protected",
        static_root=production["static"],
        tls=(tls := self_signed_certificate(conf)),
    )
    with (
        gunicorn(production, f"unix:{sock}", ACCORD_BEHIND_TLS_PROXY="true"),
        running_nginx(nginx_binary("production sign-in runs real nginx"), conf, port),
        httpx.Client(
            base_url=f"https://127.0.0.1:{port}",
            verify=ssl.create_default_context(cafile=tls[0]),
            trust_env=False,
            # A fresh gunicorn on a busy CI machine (Argon2 hashing, first imports) can take
            # longer than httpx's 5 s default to answer its first request.
            timeout=60,
        ) as client,
    ):
        yield client


def test_sign_in_through_nginx_and_gunicorn_on_a_unix_socket(production, proxied):
    email = USERS["sign-in"]
    # A forged X-Real-IP from the browser's side is overwritten by nginx.
    signed_in = _sign_in(proxied, email, PASSWORD, **{"X-Real-IP": "203.0.113.66"})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.url.path == "/datasets/"  # home sends the signed-in user on
    assert email in signed_in.text and "Sign out" in signed_in.text
    assert proxied.get("/account/tokens/").status_code == 200  # a signed-in-only page
    assert _rows(production, "SELECT ip_address FROM axes_accesslog WHERE username = ?", email) == [
        ("127.0.0.1",)
    ]


def test_api_docs_assets_come_from_the_collected_static_files_through_nginx(proxied):
    page = proxied.get("/api/v1/docs")
    assert page.status_code == 200
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page.text)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert proxied.get(asset).status_code == 200, asset


def test_a_forged_x_real_ip_from_a_client_does_not_escape_the_lockout(production):
    """gunicorn on TCP with no trusted proxy: the header is ignored, so changing it on every
    attempt does not reset the count, and the lockout holds the real address."""
    port = free_port()
    email = USERS["spoof"]
    with (
        gunicorn(
            production,
            f"127.0.0.1:{port}",
            ACCORD_SECURE_COOKIES="false",
            ACCORD_LOGIN_FAILURE_LIMIT="3",
        ),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=60) as client,
    ):
        for n in range(3):
            wrong = _sign_in(client, email, "wrong password", **{"X-Real-IP": f"198.51.100.{n}"})
            assert wrong.status_code in (200, 429) and "Sign out" not in wrong.text
        locked = _sign_in(client, email, PASSWORD, **{"X-Real-IP": "198.51.100.99"})
        assert locked.status_code == 429
        assert "Too many failed sign-ins" in locked.text
    attempts = _rows(
        production,
        "SELECT ip_address, failures_since_start FROM axes_accessattempt WHERE username = ?",
        email,
    )
    assert [ip for ip, _ in attempts] == ["127.0.0.1"]
    assert attempts[0][1] >= 3


def test_x_real_ip_from_a_listed_proxy_on_tcp_is_the_client_address(production):
    port = free_port()
    email = USERS["proxy"]
    with (
        gunicorn(
            production,
            f"127.0.0.1:{port}",
            ACCORD_SECURE_COOKIES="false",
            ACCORD_TRUSTED_PROXIES="127.0.0.1",
        ),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=60) as client,
    ):
        wrong = _sign_in(client, email, "wrong password", **{"X-Real-IP": "198.51.100.7"})
        assert wrong.status_code == 200 and "Sign out" not in wrong.text
    attempts = _rows(
        production, "SELECT ip_address FROM axes_accessattempt WHERE username = ?", email
    )
    assert attempts == [("198.51.100.7",)]
