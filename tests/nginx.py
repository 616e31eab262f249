"""The shipped nginx config (deploy/nginx) in a real nginx, for the tests that need one: only
the /srv/accord and /etc paths are swapped for test folders, the rest runs as shipped."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.tools import need_executable

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary(why: str) -> str:
    return need_executable("nginx", why, candidates=("/usr/sbin/nginx",))


def self_signed_certificate(folder: Path, name: str = "accord.example.org") -> tuple[Path, Path]:
    """A throw-away certificate (also valid for 127.0.0.1) and its key, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def render_site(
    conf: Path,
    *,
    upstream: str,
    port: int,
    protected_root: Path | str,
    static_root: Path | str,
    tls: tuple[Path, Path] | None = None,
) -> Path:
    """Write nginx.conf into ``conf``: the shipped locations and proxy headers, the site file's
    http-level part (the log format that redacts link secrets), an ``accord_app`` upstream at
    ``upstream`` (host:port or unix:/path) and a server on 127.0.0.1:``port`` (TLS with the
    ``tls`` certificate and key, as in production)."""
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "accord-proxy.conf").write_text((DEPLOY / "accord-proxy.conf").read_text())
    locations = (
        (DEPLOY / "accord-locations.conf")
        .read_text()
        .replace("/srv/accord/var/protected/", f"{protected_root}/")
        .replace("/srv/accord/var/staticfiles/", f"{static_root}/")
        .replace("/etc/nginx/snippets/accord-proxy.conf", str(conf / "accord-proxy.conf"))
    )
    (conf / "accord-locations.conf").write_text(locations)
    site = (DEPLOY / "accord.conf").read_text()
    http_level = site[site.index("map $request_uri") : site.index("upstream accord_app")]
    temp = "\n".join(
        f"  {kind}_temp_path {conf}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    listen = f"listen 127.0.0.1:{port}{' ssl' if tls else ''};"
    certificate = f"ssl_certificate {tls[0]};\n    ssl_certificate_key {tls[1]};" if tls else ""
    (conf / "nginx.conf").write_text(
        f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {conf}/nginx.pid;
error_log {conf}/error.log info;
events {{ worker_connections 64; }}
http {{
  default_type application/octet-stream;
{http_level}
  access_log {conf}/access.log accord;
{temp}
  upstream accord_app {{ server {upstream}; }}
  server {{
    {listen}
    {certificate}
    server_name localhost;
    include {conf}/accord-locations.conf;
  }}
}}
"""
    )
    return conf / "nginx.conf"


@contextmanager
def running_nginx(binary: str, conf: Path, port: int) -> Iterator[subprocess.Popen]:
    """nginx on ``conf/nginx.conf`` until the block ends; fails the test if it does not start."""
    proc = subprocess.Popen(
        [binary, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-e", str(conf / "error.log"),
         "-g", "daemon off;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, proc, "nginx")
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} did not start: {proc.stdout.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{what} did not listen on port {port} within {timeout} s")
