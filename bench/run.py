"""Download benchmarks: `make bench` (= python -m bench.run). Results go to BENCHMARKS.md.

Sets up a throw-away portal (SQLite file, synthetic files) in a temp folder, runs it under
gunicorn (and nginx when installed) exactly as deploy/ does, and measures:

- link authorization latency (API, bearer token);
- one large download: the django backend (streamed by gunicorn) and the nginx backend
  (X-Accel-Redirect), with the gunicorn worker's peak memory;
- `accord fetch` of a whole variant, one file at a time and in parallel.

BENCH_MB (default 256) sets the large file's size; the variant for fetch is 8 files of
BENCH_MB/8 MB each.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited: {proc.stdout.read().decode() if proc.stdout else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def write_file(path: Path, size: int) -> None:
    block = os.urandom(MB)
    with path.open("wb") as fh:
        for _ in range(size // MB):
            fh.write(block)
            block = hashlib.sha256(block[:64]).digest() * (MB // 32)


class Bench:
    def __init__(self, work: Path, big_mb: int):
        self.work = work
        self.big_mb = big_mb
        self.env = {
            **os.environ,
            "ACCORD_DATA_DIR": str(work / "var"),
            "ACCORD_SECRET_KEY": "bench-" + "x" * 40,
            "ACCORD_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ACCORD_TASKS_BACKEND": "immediate",
            "ACCORD_EMAIL_BACKEND": "locmem",
            "ACCORD_SECURE_COOKIES": "false",
            "ACCORD_HSTS_SECONDS": "0",
            "NO_PROXY": "*",
        }
        self.env.pop("ACCORD_DATABASE_URL", None)
        self.results: list[tuple[str, str, str]] = []

    def setup_portal(self) -> None:
        os.environ.update(self.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "accord.settings"
        import django

        django.setup()
        import logging

        logging.getLogger("httpx").setLevel(logging.WARNING)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.utils import timezone

        from accord.access.services import entitlements_sync_for_licence
        from accord.accounts.models import User
        from accord.accounts.services import api_token_create
        from accord.agreements.models import Licence, LicenceMember
        from accord.catalog.models import Custodian, Dataset, LicenseVersion, Variant
        from accord.catalog.services import variant_ingest

        custodian = Custodian.objects.create(
            slug="bench", name="Bench Lab", country="Finland", contact_email="b@lab.example"
        )
        dataset = Dataset.objects.create(
            custodian=custodian, slug="bench", name="Bench", summary="s", description="d"
        )
        version = LicenseVersion.objects.create(
            dataset=dataset, version=1, title="LA", effective_date="2024-01-01",
            status="published",
        )  # fmt: skip
        big = Variant.objects.create(dataset=dataset, slug="bench-big", name="Big")
        many = Variant.objects.create(dataset=dataset, slug="bench-many", name="Many")
        src = self.work / "src"
        (src / "big").mkdir(parents=True)
        (src / "many").mkdir(parents=True)
        write_file(src / "big" / "big.bin", self.big_mb * MB)
        for i in range(8):
            write_file(src / "many" / f"part{i}.bin", max(1, self.big_mb // 8) * MB)
        variant_ingest(variant=big, folder=src / "big")
        variant_ingest(variant=many, folder=src / "many")
        shutil.rmtree(src)
        user = User.objects.create_user("bench@uni.example.edu", "x" * 12, full_name="Bench")
        licence = Licence.objects.create(
            reference="BENCH-1", dataset=dataset, license_version=version, signer=user
        )
        licence.variants.set([big, many])
        LicenceMember.objects.create(
            licence=licence, user=user, email=user.email, full_name="Bench",
            status="active", accepted_at=timezone.now(),
        )  # fmt: skip
        entitlements_sync_for_licence(licence=licence, reason="bench")
        self.token = api_token_create(user=user, name="bench").secret
        self.big_id = big.files.get().pk
        (self.work / "token").write_text(self.token)
        (self.work / "token").chmod(0o600)

    def gunicorn(self, backend: str, port: int) -> subprocess.Popen:
        env = {**self.env, "ACCORD_DOWNLOAD_BACKEND": backend}
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8",
             "--access-logfile", "/dev/null"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.work,
        )  # fmt: skip
        wait_port(port, proc, "gunicorn")
        return proc

    def nginx(self, upstream_port: int, port: int) -> subprocess.Popen | None:
        binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
        if not binary:
            return None
        conf = self.work / "nginx"
        conf.mkdir(exist_ok=True)
        deploy = ROOT / "deploy" / "nginx"
        (conf / "accord-proxy.conf").write_text((deploy / "accord-proxy.conf").read_text())
        (conf / "accord-locations.conf").write_text(
            (deploy / "accord-locations.conf").read_text()
            .replace("/srv/accord/var/protected/", f"{self.work}/var/protected/")
            .replace("/srv/accord/var/staticfiles/", f"{self.work}/var/staticfiles/")
            .replace("/etc/nginx/snippets/accord-proxy.conf", str(conf / "accord-proxy.conf"))
        )  # fmt: skip
        user = "user root;" if os.geteuid() == 0 else ""
        (conf / "nginx.conf").write_text(
            f"{user}\nworker_processes 1;\npid {conf}/nginx.pid;\nevents {{}}\nhttp {{\n"
            f"access_log off;\nclient_body_temp_path {conf}/cb;\nproxy_temp_path {conf}/px;\n"
            f"fastcgi_temp_path {conf}/fc;\nuwsgi_temp_path {conf}/uw;\nscgi_temp_path {conf}/sc;\n"
            f"upstream accord_app {{ server 127.0.0.1:{upstream_port}; }}\n"
            f"server {{ listen 127.0.0.1:{port}; include {conf}/accord-locations.conf; }}\n}}\n"
        )
        proc = subprocess.Popen(
            [binary, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-e", str(conf / "err.log"),
             "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_port(port, proc, "nginx")
        return proc

    def record(self, what: str, value: str, note: str = "") -> None:
        print(f"  {what}: {value} {note}")
        self.results.append((what, value, note))

    def link(self, client, base: str) -> str:
        r = client.get(
            f"{base}/api/v1/downloads/files/{self.big_id}/link",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        r.raise_for_status()
        return r.json()["url"]

    def download(self, client, url: str) -> float:
        start = time.perf_counter()
        total = 0
        with client.stream("GET", url) as r:
            r.raise_for_status()
            for chunk in r.iter_bytes(MB):
                total += len(chunk)
        elapsed = time.perf_counter() - start
        assert total == self.big_mb * MB, total
        return elapsed

    def run_http(self, label: str, base: str, gunicorn_pid: int) -> None:
        import httpx

        with httpx.Client(timeout=300) as client:
            n = 50
            start = time.perf_counter()
            for _ in range(n):
                self.link(client, base)
            per = (time.perf_counter() - start) / n * 1000
            self.record(f"{label}: link authorization", f"{per:.1f} ms", f"(mean of {n})")
            best = min(self.download(client, self.link(client, base)) for _ in range(2))
            self.record(
                f"{label}: one {self.big_mb} MB download",
                f"{self.big_mb / best:.0f} MB/s",
                f"({best:.2f} s, best of 2)",
            )
            url = self.link(client, base)
            start = time.perf_counter()
            r = client.get(url, headers={"Range": f"bytes={self.big_mb * MB - 1024}-"})
            assert r.status_code == 206
            self.record(
                f"{label}: resume near the end (Range)",
                f"{(time.perf_counter() - start) * 1000:.1f} ms",
            )
        rss = worker_peak_rss(gunicorn_pid)
        if rss:
            self.record(f"{label}: gunicorn worker peak RSS", f"{rss / 1024:.0f} MB")

    def run_fetch(self, base: str) -> None:
        for parallel in (1, 4):
            dest = self.work / f"fetch-{parallel}"
            env = {**self.env, "COLUMNS": "120"}
            start = time.perf_counter()
            result = subprocess.run(
                [str(BIN / "accord"), "fetch", "bench-many", "--to", str(dest), "--portal", base,
                 "--token-file", str(self.work / "token"), "--parallel", str(parallel)],
                env=env, capture_output=True, text=True, cwd=self.work,
            )  # fmt: skip
            elapsed = time.perf_counter() - start
            if result.returncode != 0:
                raise SystemExit(result.stdout + result.stderr)
            size = max(1, self.big_mb // 8) * 8
            self.record(
                f"accord fetch, 8 files / {size} MB, --parallel {parallel}",
                f"{elapsed:.2f} s",
                f"({size / elapsed:.0f} MB/s incl. verification)",
            )
            shutil.rmtree(dest)


def worker_peak_rss(arbiter_pid: int) -> int | None:
    """Peak resident memory (kB) of the arbiter's worker processes (Linux)."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"PPid:\t{arbiter_pid}\n" in text:
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
    return max(peaks) if peaks else None


def main() -> None:
    big_mb = int(os.environ.get("BENCH_MB", "256"))
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        bench = Bench(Path(tmp), big_mb)
        print(f"Setting up a throw-away portal in {tmp} ({big_mb} MB of synthetic files)…")
        bench.setup_portal()

        port = free_port()
        proc = bench.gunicorn("django", port)
        try:
            print("django backend (gunicorn streams the file):")
            bench.run_http("django backend", f"http://127.0.0.1:{port}", proc.pid)
            bench.run_fetch(f"http://127.0.0.1:{port}")
        finally:
            proc.terminate()
            proc.wait()

        port = free_port()
        proc = bench.gunicorn("nginx", port)
        nginx_port = free_port()
        nginx = bench.nginx(port, nginx_port)
        try:
            if nginx is None:
                bench.record("nginx backend", "skipped", "(nginx not installed)")
            else:
                print("nginx backend (X-Accel-Redirect):")
                bench.run_http("nginx backend", f"http://127.0.0.1:{nginx_port}", proc.pid)
        finally:
            if nginx is not None:
                nginx.terminate()
                nginx.wait()
            proc.terminate()
            proc.wait()
        write_report(bench.results, big_mb)


def write_report(results, big_mb: int) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Download path of Accord, measured by `make bench` (`bench/run.py`): a throw-away portal",
        "(SQLite, synthetic files) under gunicorn as configured in `deploy/gunicorn.conf.py`",
        "(1 worker, 8 threads here), and nginx with the shipped `deploy/nginx` locations.",
        "Client and server share one machine over loopback, so these numbers are the server's",
        "ceiling, not what a researcher's network will give. Re-run `make bench` to refresh.",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared with other work), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}",
        f"- Large file: {big_mb} MB",
        "",
        "| measurement | result | note |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in results],
        "",
        "Reading them: the gunicorn worker's peak memory is Django's baseline and does not",
        "grow with the file (the django backend streams 256 KB chunks; nginx sends the file",
        "itself): a run with BENCH_MB=64 showed the same peak as one with 256. Link",
        "authorization is one short transaction per file (policy check, link row, audit",
        "event), serialised by SQLite's write lock in these runs.",
        "`--parallel` pays off over real networks (it hides per-file latency and TCP ramp-up);",
        "over loopback on a 2-core machine the client's hashing and the server compete for the",
        "same CPUs, so it may show no gain.",
        "",
    ]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines))
    print(f"Wrote {ROOT / 'BENCHMARKS.md'}")


if __name__ == "__main__":
    main()
