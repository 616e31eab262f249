"""`make bench` (= python -m bench.run): Accord's hot paths, each as a ratio to a baseline
measured in the same run on the same machine. Results go to BENCHMARKS.md and BENCHMARKS.json.

The stack is the production layout, started here on loopback: gunicorn with
deploy/gunicorn.conf.py on a unix socket (as deploy/systemd does), nginx with the shipped
deploy/nginx locations in front of it, and wrk as the load generator. Each measurement and its
baseline run alternately, BENCH_ROUNDS times:

- X-Accel downloads (whole file and 4 MiB ranges, 16 and 256 connections) against nginx
  serving the same file as a static file;
- the Django streaming backend behind nginx against the same static file;
- the per-file authorisation request (a download link answered with X-Accel-Redirect, 4 KiB
  file, 64 connections) against a minimal Django view (bench/urls.py) under the same gunicorn
  and nginx location, on SQLite and on PostgreSQL;
- `accord audit verify` against raw hashlib.sha256 over the same bytes it hashes (the stored
  payloads, each event's MAC, each personal commitment), and over the payloads alone.

Needs wrk and nginx (Debian: `apt-get install wrk nginx`) and, for the PostgreSQL runs, a
server that BENCH_DATABASE_URL reaches (the database named there is dropped and re-created;
BENCH_DATABASE_URL= skips PostgreSQL). Knobs: BENCH_SECONDS per wrk run (default 8),
BENCH_ROUNDS (2), BENCH_MB (size of the large file, 256), BENCH_EVENTS (audit events added for
verify, 50000), BENCH_INGEST_MB / BENCH_INGEST_FILES (the release ingested, 1024 / 400; 0
skips), BENCH_SCALE_FACTOR (the scale runs' seed size, 0.1 = 2,000 licences; 0 skips),
BENCH_OUT (the folder for the two reports; default the checkout). The
defaults take about 10 minutes on a 2-core machine; whole-file runs last twice BENCH_SECONDS.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MB = 1024 * 1024
RANGE = 4 * MB
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/accord_bench"
# Where BENCHMARKS.md and BENCHMARKS.json go (the smoke run in make test writes elsewhere).
OUT = Path(os.environ.get("BENCH_OUT") or ROOT)


def need_tools() -> tuple[str, str]:
    wrk = shutil.which("wrk")
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    roles = {"wrk": "wrk (the load generator)", "nginx": "nginx (the production web server)"}
    missing = [roles[name] for name, found in (("wrk", wrk), ("nginx", nginx)) if not found]
    if missing:
        sys.stderr.write(
            f"make bench needs {' and '.join(missing)}, and cannot find it on PATH. "
            "On Debian/Ubuntu: apt-get install wrk nginx\n"
        )
        raise SystemExit(2)
    return wrk, nginx  # type: ignore[return-value]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(ready, proc: subprocess.Popen, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text() if log and log.exists() else ""
            raise SystemExit(f"{what} exited at start:\n{text}")
        if ready():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start within 60 s")


def connectable(address) -> bool:
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    try:
        with socket.socket(family) as s:
            s.settimeout(0.2)
            s.connect(address)
        return True
    except OSError:
        return False


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Stack:
    """One throw-away portal (its own data folder and database), gunicorn on a unix socket
    and, shared by every portal, nginx with the shipped locations."""

    def __init__(self, work: Path, name: str, database_url: str):
        self.work = work / name
        self.work.mkdir(parents=True)
        self.socket = self.work / "gunicorn.sock"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "ACCORD_DATA_DIR": str(self.work / "var"),
            "ACCORD_SECRET_KEY": "bench-" + "x" * 40,
            "ACCORD_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ACCORD_TASKS_BACKEND": "database",
            "ACCORD_EMAIL_BACKEND": "locmem",
            "ACCORD_SECURE_COOKIES": "false",
            "ACCORD_HSTS_SECONDS": "0",
            "ACCORD_DOWNLOAD_LINK_TTL": "86400",
            # Whole files go to nginx (the shipped default hands nginx at most 64 MiB per
            # authorisation and streams longer requests itself).
            "ACCORD_DOWNLOAD_MAX_RESPONSE_BYTES": "0",
            "ACCORD_DB_CONN_MAX_AGE": "60",  # as deploy/accord.env.example
            "GUNICORN_BIND": f"unix:{self.socket}",
            "GUNICORN_LOG_LEVEL": "warning",
            "NO_PROXY": "*",
        }
        if database_url:
            self.env["ACCORD_DATABASE_URL"] = database_url
        else:
            self.env.pop("ACCORD_DATABASE_URL", None)
        self.gunicorn_proc: subprocess.Popen | None = None

    def django(self, *args: str, **env: str) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "bench.portal", *args],
            env={**self.env, **env}, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        for line in result.stdout.splitlines():
            if line.startswith("BENCH-JSON "):
                return json.loads(line.removeprefix("BENCH-JSON "))
        raise SystemExit(f"bench.portal {args[0]} failed:\n{result.stdout}\n{result.stderr}")

    def gunicorn(self, backend: str) -> None:
        self.stop()
        log = self.work / "gunicorn.log"
        self.gunicorn_proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
            env={**self.env, "ACCORD_DOWNLOAD_BACKEND": backend},
            cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: connectable(str(self.socket)), self.gunicorn_proc, "gunicorn", log)

    def stop(self) -> None:
        if self.gunicorn_proc is not None:
            self.gunicorn_proc.terminate()
            self.gunicorn_proc.wait(timeout=60)
            self.gunicorn_proc = None


def start_nginx(binary: str, conf: Path, port: int, sockets: dict[str, Path], static: Path):
    """nginx with the shipped locations: a server per portal (on ``port``, ``port + 1``…) in
    front of its gunicorn, each also serving ``static`` at /bench-static/ as plain static
    files, configured like /_protected/ (the baseline)."""
    deploy = ROOT / "deploy" / "nginx"
    conf.mkdir(parents=True)
    (conf / "accord-proxy.conf").write_text((deploy / "accord-proxy.conf").read_text())
    site = (deploy / "accord.conf").read_text()
    http_level = site[site.index("map $request_uri") : site.index("upstream accord_app")]
    servers = []
    ports = {}
    for i, (name, sock) in enumerate(sockets.items()):
        ports[name] = port + i
        protected = sock.parent / "var" / "protected"
        locations = (
            (deploy / "accord-locations.conf")
            .read_text()
            .replace("/srv/accord/var/protected/", f"{protected}/")
            .replace("/srv/accord/var/staticfiles/", f"{sock.parent}/var/staticfiles/")
            .replace("/etc/nginx/snippets/accord-proxy.conf", str(conf / "accord-proxy.conf"))
            .replace("http://accord_app", f"http://app_{name}")
        )
        (conf / f"locations-{name}.conf").write_text(locations)
        servers.append(
            f"upstream app_{name} {{ server unix:{sock} fail_timeout=0; }}\n"
            f"server {{\n  listen 127.0.0.1:{port + i};\n  server_name localhost;\n"
            f"  include {conf}/locations-{name}.conf;\n"
            f"  location /bench-static/ {{ alias {static}/; sendfile on; tcp_nopush on; }}\n}}\n"
        )
    temp = "\n".join(
        f"{kind}_temp_path {conf}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi")
    )
    (conf / "nginx.conf").write_text(
        f"{'user root;' if os.geteuid() == 0 else ''}\n"
        f"worker_processes auto;\npid {conf}/nginx.pid;\nerror_log {conf}/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        f"http {{\ndefault_type application/octet-stream;\n{http_level}\n"
        f"access_log {conf}/access.log accord;\n{temp}\nscgi_temp_path {conf}/scgi;\n"
        + "".join(servers)
        + "}\n"
    )
    proc = subprocess.Popen(
        [binary, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-e", str(conf / "error.log"),
         "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    for p in ports.values():
        wait_until(lambda p=p: connectable(("127.0.0.1", p)), proc, "nginx")
    return proc, ports


DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK-JSON {"requests":%.0f,"bytes":%.0f,"duration_us":%.0f,'
    .. '"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,'
    .. '"p50_us":%.0f,"p99_us":%.0f}\\n', summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""

RANGES = """
local chunk = {chunk}
local chunks = {chunks}
init = function(args) math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16)) end
request = function()
  local first = math.random(0, chunks - 1) * chunk
  wrk.headers["Range"] = "bytes=" .. first .. "-" .. (first + chunk - 1)
  return wrk.format(nil, nil)
end
"""


class Runner:
    def __init__(self, wrk: str, work: Path, seconds: float, rounds: int):
        self.wrk = wrk
        self.work = work
        self.seconds = seconds
        self.rounds = rounds
        self.rows: list[dict] = []
        (work / "done.lua").write_text(DONE)

    def script(self, size: int | None) -> Path:
        if size is None:
            return self.work / "done.lua"
        path = self.work / f"ranges-{size}.lua"
        path.write_text(RANGES.format(chunk=RANGE, chunks=max(1, size // RANGE)) + DONE)
        return path

    def wrk_run(
        self, url: str, connections: int, *, script: Path, headers=(), seconds: float = 0
    ) -> dict:
        command = [
            self.wrk, "-t", str(min(2, connections)), "-c", str(connections),
            "-d", f"{seconds or self.seconds:g}s", "--timeout", "30s", "--latency",
            "-s", str(script),
            *[arg for h in headers for arg in ("-H", h)], url,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        for line in result.stdout.splitlines():
            if line.startswith("WRK-JSON "):
                data = json.loads(line.removeprefix("WRK-JSON "))
                seconds = data["duration_us"] / 1e6
                data["req_per_s"] = data["requests"] / seconds
                data["mb_per_s"] = data["bytes"] / seconds / MB
                data["errors"] = sum(data[k] for k in ("connect", "read", "write", "timeout"))
                return data
        raise SystemExit(f"wrk failed ({' '.join(command)}):\n{result.stdout}{result.stderr}")

    def pair(self, label: str, unit: str, measured: dict, baseline: dict) -> dict:
        """Run the measurement and its baseline alternately; the ratio of their means."""
        runs: dict[str, list[dict]] = {"measured": [], "baseline": []}
        for spec in (measured, baseline):  # warm-up (lazy imports, page cache)
            self.wrk_run(**{**spec, "seconds": 1})
        for _ in range(self.rounds):
            for side, spec in (("measured", measured), ("baseline", baseline)):
                runs[side].append(self.wrk_run(**spec))
        key = "mb_per_s" if unit == "MB/s" else "req_per_s"

        def mean(side: str, k: str = key) -> float:
            return sum(r[k] for r in runs[side]) / len(runs[side])

        # A side that completed nothing in its window (a loaded machine, a tiny smoke run)
        # has no ratio to give: 0, never a division by zero.
        per_round = [
            m[key] / b[key] if b[key] else 0.0
            for m, b in zip(runs["measured"], runs["baseline"], strict=True)
        ]
        row = {
            "label": label,
            "unit": unit,
            "measured": mean("measured"),
            "baseline": mean("baseline"),
            "ratio": mean("measured") / mean("baseline") if mean("baseline") else 0.0,
            "ratio_range": [min(per_round), max(per_round)],
            "p50_ms": [mean("measured", "p50_us") / 1000, mean("baseline", "p50_us") / 1000],
            "p99_ms": [mean("measured", "p99_us") / 1000, mean("baseline", "p99_us") / 1000],
            "failed": [
                sum(r["errors"] + r["status"] for r in runs[s]) for s in ("measured", "baseline")
            ],
            "runs": runs,
            "commands": [
                f"wrk -c {spec['connections']} -d {spec.get('seconds') or self.seconds:g}s "
                f"{urlsplit(spec['url']).path}"
                for spec in (measured, baseline)
            ],
        }
        self.rows.append(row)
        print(
            f"  {label}: {row['measured']:.1f} vs {row['baseline']:.1f} {unit} = "
            f"{row['ratio']:.2f}x  (p99 {row['p99_ms'][0]:.1f} / {row['p99_ms'][1]:.1f} ms, "
            f"failed {row['failed'][0]}/{row['failed'][1]})",
            flush=True,
        )
        return row


def issue_link(base: str, token: str, file_id: int, stack: Stack) -> str:
    import httpx

    response = httpx.post(
        f"{base}/api/v1/downloads/files/{file_id}/link",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    if response.status_code != 200:
        log = stack.work / "gunicorn.log"
        tail = log.read_text()[-3000:] if log.exists() else ""
        raise SystemExit(
            f"could not issue a download link: {response.status_code} {response.text[:500]}\n"
            f"gunicorn's log ends:\n{tail}"
        )
    return response.json()["url"]


def reset_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    wrk, nginx_binary = need_tools()
    seconds = float(os.environ.get("BENCH_SECONDS", "8"))
    rounds = max(1, int(os.environ.get("BENCH_ROUNDS", "2")))
    big_mb = max(8, int(os.environ.get("BENCH_MB", "256")))
    events = int(os.environ.get("BENCH_EVENTS", "50000"))
    pg_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    ingest_mb = int(os.environ.get("BENCH_INGEST_MB", "1024"))
    ingest_files = int(os.environ.get("BENCH_INGEST_FILES", "400"))
    scale_factor = float(os.environ.get("BENCH_SCALE_FACTOR", "0.1"))
    started = datetime.now(UTC)
    load_start = load_average()
    clock = time.monotonic()
    report: dict = {"started": started.isoformat(timespec="seconds"), "load_start": load_start}

    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        work = Path(tmp)
        print(f"Throw-away portals in {tmp} ({big_mb} MiB file); {rounds} round(s) of "
              f"{seconds:g} s per measurement.", flush=True)  # fmt: skip
        stacks = {"sqlite": Stack(work, "sqlite", "")}
        if pg_url:
            try:
                reset_postgres(pg_url)
            except Exception as exc:
                raise SystemExit(
                    f"PostgreSQL at {pg_url} is not usable ({exc}); set BENCH_DATABASE_URL to "
                    "a server you may create a database on, or BENCH_DATABASE_URL= to skip it."
                ) from exc
            stacks["postgresql"] = Stack(work, "postgresql", pg_url)
        portals = {}
        for name, stack in stacks.items():
            print(f"Setting up the {name} portal…", flush=True)
            portals[name] = stack.django(
                "setup", str(stack.work), str(big_mb if name == "sqlite" else 8)
            )
        static = work / "static"
        static.mkdir()
        big = portals["sqlite"]["big"]
        os.link(big["path"], static / "big.bin")
        nginx_proc, ports = start_nginx(
            nginx_binary, work / "nginx", free_port(), {n: s.socket for n, s in stacks.items()},
            static,
        )  # fmt: skip
        runner = Runner(wrk, work, seconds, rounds)
        try:
            run_downloads(runner, stacks["sqlite"], portals["sqlite"], ports["sqlite"], big_mb)
            for name, stack in stacks.items():
                run_authorisation(runner, name, stack, portals[name], ports[name])
        finally:
            for stack in stacks.values():
                stack.stop()
            nginx_proc.terminate()
            nginx_proc.wait(timeout=30)
        report["verify"] = []
        for name, stack in stacks.items():
            print(f"audit verify on {name} ({events} events added)…", flush=True)
            result = stack.django("verify", str(events), str(rounds))
            # Goal 2 is the chain's walk (the whole walk less its journal check, timed
            # alone); the whole command, journal included, against raw hashing of all it
            # hashes, is reported beside it.
            result["ratio"] = result["chain_events_per_s"] / result["raw_events_per_s"]
            result["ratio_whole"] = (min(result["raw_s"]) + min(result["raw_journal_s"])) / min(
                result["verify_s"]
            )
            print(
                f"  {result['chain_events_per_s']:.0f} vs {result['raw_events_per_s']:.0f} "
                f"events/s = {result['ratio']:.3f}x", flush=True,
            )  # fmt: skip
            report["verify"].append(result)
        if ingest_mb:
            from bench import ingest

            print(f"accord ingest of {ingest_mb} MiB in {ingest_files} files vs sha256sum + cp…")
            report["ingest"] = ingest.run(work / "ingest", ingest_mb, ingest_files, rounds=rounds)
            print(f"  {report['ingest']['ratio']}x", flush=True)
    if scale_factor:
        from bench import scale

        print(f"Scale runs on seeded databases (factor {scale_factor:g})…", flush=True)
        report["scale"] = scale.run(scale_factor)
    report["pairs"] = runner.rows
    report["load_end"] = load_average()
    report["minutes"] = (time.monotonic() - clock) / 60
    report["settings"] = {
        "seconds": seconds, "rounds": rounds, "big_mb": big_mb, "events": events,
        "postgresql": bool(pg_url), "ingest_mb": ingest_mb, "ingest_files": ingest_files,
        "scale_factor": scale_factor,
    }  # fmt: skip
    report["machine"] = machine()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "BENCHMARKS.json").write_text(json.dumps(report, indent=1) + "\n")
    write_report(report)
    print(f"Wrote BENCHMARKS.md and BENCHMARKS.json in {report['minutes']:.1f} min")


def run_downloads(runner: Runner, stack: Stack, portal: dict, port: int, big_mb: int) -> None:
    base = f"http://127.0.0.1:{port}"
    size = portal["big"]["size"]
    static = {"url": f"{base}/bench-static/big.bin"}
    auth = (f"Authorization: Bearer {portal['token']}",)
    print("X-Accel downloads (ACCORD_DOWNLOAD_BACKEND=nginx) vs nginx static:", flush=True)
    stack.gunicorn("nginx")
    url = issue_link(base, portal["token"], portal["big"]["id"], stack)
    whole, ranges = runner.script(None), runner.script(size)
    # Whole files run twice the window: every connection starts with an authorisation, and
    # at 256 connections those alone take seconds of it (see the reading below).
    long = 2 * runner.seconds
    for connections in (16, 256):
        runner.pair(
            f"X-Accel whole {big_mb} MiB file, {connections} connections",
            "MB/s",
            {"url": url, "connections": connections, "script": whole, "headers": auth,
             "seconds": long},
            {**static, "connections": connections, "script": whole, "seconds": long},
        )  # fmt: skip
    for connections in (16, 256):
        runner.pair(
            f"X-Accel 4 MiB ranges, {connections} connections",
            "MB/s",
            {"url": url, "connections": connections, "script": ranges, "headers": auth},
            {**static, "connections": connections, "script": ranges},
        )
    print("Django streaming behind nginx (ACCORD_DOWNLOAD_BACKEND=django) vs nginx static:")
    stack.gunicorn("django")
    url = issue_link(base, portal["token"], portal["big"]["id"], stack)
    runner.pair(
        f"Django stream whole {big_mb} MiB file, 16 connections",
        "MB/s",
        {"url": url, "connections": 16, "script": whole, "headers": auth, "seconds": long},
        {**static, "connections": 16, "script": whole, "seconds": long},
    )
    stack.stop()


def run_authorisation(runner: Runner, name: str, stack: Stack, portal: dict, port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    print(f"Per-file authorisation (X-Accel, 4 KiB file) vs a minimal view, {name}:", flush=True)
    stack.gunicorn("nginx")
    url = issue_link(base, portal["token"], portal["small"]["id"], stack)
    script = runner.script(None)
    runner.pair(
        f"authorisation request, 64 connections, {name}",
        "req/s",
        {"url": url, "connections": 64, "script": script,
         "headers": (f"Authorization: Bearer {portal['token']}",)},
        {"url": f"{base}/bench/minimal/", "connections": 64, "script": script},
    )  # fmt: skip
    stack.stop()
    profile = stack.django(
        "profile-request", portal["token"], str(portal["small"]["id"]), "200",
        ACCORD_DOWNLOAD_BACKEND="nginx",
    )  # fmt: skip
    runner.rows[-1]["profile"] = profile
    a, m = profile["authorisation"], profile["minimal"]
    print(
        f"  in process: {a['ms']:.1f} ms per request ({a['db_ms']:.1f} ms in the database "
        f"driver, {a['queries']:.0f} queries) vs {m['ms']:.1f} ms for the minimal view",
        flush=True,
    )


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for tool, args in (("nginx", ["-v"]), ("wrk", ["-v"])):
        path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin")
        out = subprocess.run([path, *args], capture_output=True, text=True) if path else None
        versions[tool] = (out.stdout + out.stderr).splitlines()[0].strip() if out else ""
    import multiprocessing

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gunicorn": f"{2 * multiprocessing.cpu_count() + 1} workers x 8 threads (deploy defaults)",
        **versions,
    }


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def write_report(report: dict) -> None:
    m, s = report["machine"], report["settings"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`; raw figures in `BENCHMARKS.json`). Every",
        "figure is a ratio to a baseline measured in the same run on the same machine, the",
        "measurement and its baseline alternating, so a busy or slow machine moves both.",
        "",
        "The stack is the production layout on loopback: gunicorn with `deploy/gunicorn.conf.py`",
        f"({m['gunicorn']}) on a unix socket, nginx with the shipped `deploy/nginx` locations",
        "in front of it (plain HTTP: TLS would cost both sides alike), load from wrk on the same",
        "machine. So these are the server's ceilings, not what a researcher's network gives.",
        "",
        f"- Date: {report['started'][:16].replace('T', ' ')} UTC; took "
        f"{report['minutes']:.1f} min; load average {report['load_start']} at the start, "
        f"{report['load_end']} at the end (the machine is shared)",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['system']}, Python "
        f"{m['python']}, {m['nginx']}, {m['wrk']}",
        f"- Settings: BENCH_SECONDS={s['seconds']:g} per wrk run, BENCH_ROUNDS={s['rounds']}, "
        f"BENCH_MB={s['big_mb']}, BENCH_EVENTS={s['events']}, "
        f"BENCH_INGEST_MB={s.get('ingest_mb', 0)}, BENCH_INGEST_FILES={s.get('ingest_files', 0)}, "
        f"BENCH_SCALE_FACTOR={s.get('scale_factor', 0):g}",
        "- Portal: `ACCORD_DOWNLOAD_MAX_RESPONSE_BYTES=0` (whole files are handed to nginx; "
        "with the shipped 64 MiB cap a whole 256 MiB file would be streamed by Django), tasks "
        "queued in the database (no worker running, so download journal rows stay unsealed: "
        "sealing them into the chain, every `ACCORD_AUDIT_JOURNAL_SEAL_SECONDS` = 5 s in "
        "batches of at most `ACCORD_AUDIT_JOURNAL_BATCH` = 5,000, is the worker's work, off "
        "the request), `ACCORD_DB_CONN_MAX_AGE=60`",
        "- Commands: `wrk -t 2 -c N -d Ss --timeout 30s --latency [-s ranges.lua] URL` "
        "(ranges: a random 4 MiB-aligned `Range: bytes=a-b` per request; download links with "
        "their `Authorization: Bearer` token)",
        "",
        "| measurement | result | baseline | ratio (per round) | p50 / p99 ms (baseline) "
        "| failed |",
        "|---|---|---|---|---|---|",
    ]
    baselines = {
        "MB/s": "nginx static, same file",
        "req/s": "minimal Django view",
    }
    for row in report["pairs"]:
        lo, hi = row["ratio_range"]
        p50, p99 = row["p50_ms"], row["p99_ms"]
        lines.append(
            f"| {row['label']} | {_fmt(row['measured'])} {row['unit']} | "
            f"{_fmt(row['baseline'])} {row['unit']} ({baselines[row['unit']]}) | "
            f"**{row['ratio']:.2f}×** ({lo:.2f}–{hi:.2f}) | "
            f"{p50[0]:.1f} / {p99[0]:.1f} ({p50[1]:.1f} / {p99[1]:.1f}) | "
            f"{row['failed'][0]} / {row['failed'][1]} |"
        )
    for v in report["verify"]:
        lines.append(
            f"| `accord audit verify`, the chain: {v['events']:,} events, {v['database']} | "
            f"{_fmt(v['chain_events_per_s'])} events/s | "
            f"{_fmt(v['raw_events_per_s'])} events/s (raw sha256 of the same "
            f"{v['hashed_bytes'] / MB:.0f} MiB verify hashes: payloads, MACs, commitments; "
            "in memory) | "
            f"**{v['ratio']:.3f}×** | – | – |"
        )
        if v.get("segments", 1) > 1:
            lines.append(
                f"| (the chain in one process instead of {v['segments']} segments) | "
                f"{_fmt(v['chain_one_process_events_per_s'])} events/s | "
                f"{_fmt(v['raw_events_per_s'])} events/s | "
                f"{v['chain_one_process_events_per_s'] / v['raw_events_per_s']:.3f}× | – | – |"
            )
        if v.get("journal_rows"):
            lines.append(
                f"| (its check of the {v['journal_rows']:,} download-journal rows the portal "
                "wrote above: MACs, columns, Merkle leaves) | "
                f"{_fmt(v['journal_rows_per_s'])} rows/s | "
                f"{_fmt(v['raw_journal_rows_per_s'])} rows/s (raw sha256 of what it hashes) | "
                f"{v['journal_rows_per_s'] / v['raw_journal_rows_per_s']:.3f}× | – | – |"
            )
            lines.append(
                "| (the whole command: chain and journal) | "
                f"{_fmt(v['events'] + v['journal_rows'])} items in "
                f"{min(v['verify_s']):.2f} s | raw sha256 of all it hashes | "
                f"{v['ratio_whole']:.3f}× | – | – |"
            )
        lines.append(
            f"| (the same verify against sha256 of the {v['payload_bytes'] / MB:.0f} MiB of "
            f"payloads alone) | {_fmt(v['chain_events_per_s'])} events/s | "
            f"{_fmt(v['raw_payloads_events_per_s'])} events/s | "
            f"{v['chain_events_per_s'] / v['raw_payloads_events_per_s']:.3f}× | – | – |"
        )
        lines.append(
            f"| (floor: stream only the payloads from {v['database']} and hash them) | "
            f"{_fmt(v['read_and_hash_events_per_s'])} events/s | sha256 of the payloads "
            "alone | "
            f"{v['read_and_hash_events_per_s'] / v['raw_payloads_events_per_s']:.3f}× | – | – |"
        )
    lines += [*goals(report), *ingest_table(report.get("ingest"))]
    lines += scale_tables(report.get("scale"))
    lines += ["", *reading(report), ""]
    (OUT / "BENCHMARKS.md").write_text("\n".join(lines))


def goals(report: dict) -> list[str]:
    """Issue #13's goals, each met or not by this run's own figures."""
    by = {r["label"]: r for r in report["pairs"]}
    rows: list[tuple[str, str, bool | None]] = []

    def mark(ok: bool | None) -> str:
        return "–" if ok is None else ("met" if ok else "**not met**")

    auth = [r for label, r in by.items() if label.startswith("authorisation")]
    if auth:
        text = ", ".join(f"{r['label'].rsplit(', ', 1)[-1]} {r['ratio']:.2f}×" for r in auth)
        rows.append(("1. authorisation ≥ 0.5× the minimal view", text,
                     all(r["ratio"] >= 0.5 for r in auth)))  # fmt: skip
    if report.get("verify"):
        v = report["verify"]
        text = ", ".join(
            f"{x['database']} {x['ratio']:.2f}×"
            + (f" (whole command with the journal {x['ratio_whole']:.2f}×)"
               if x.get("journal_rows") else "")
            for x in v
        )  # fmt: skip
        rows.append(("2. audit verify (the chain's walk) ≥ 0.5× raw hashing", text,
                     all(x["ratio"] >= 0.5 for x in v)))  # fmt: skip
    lists = ((report.get("scale") or {}).get("lists") or {}).get("lists") or {}
    if lists:
        ratios = [row["ratio"] for row in lists.values() if row.get("ratio") is not None]
        within = sum(1 for x in ratios if x <= 1.5)
        constant = all(row["queries_100x"] <= row["queries_1x"] for row in lists.values())
        equal = [r["ratio_equal_page"] for r in lists.values() if r.get("ratio_equal_page")]
        equal_text = (
            f"; at 5 rows a page (API): {sum(1 for x in equal if x <= 1.5)} of {len(equal)} "
            f"(worst {max(equal):.1f}×)"
            if equal
            else ""
        )
        rows.append((
            "3. lists: constant queries, p95 at 100× ≤ 1.5× of 1×",
            f"queries constant: {'yes' if constant else 'no'}; p95 within 1.5×: "
            f"{within} of {len(ratios)} (worst {max(ratios):.1f}×){equal_text}",
            constant and within == len(ratios),
        ))  # fmt: skip
    stream = [r for label, r in by.items() if label.startswith("Django stream")]
    xaccel = [r for label, r in by.items() if label.startswith("X-Accel")]
    if stream or xaccel:
        text = "; ".join(
            [f"Django stream {r['ratio']:.2f}×" for r in stream]
            + [f"{r['label'].removeprefix('X-Accel ')} {r['ratio']:.2f}×" for r in xaccel]
        )
        ok = all(r["ratio"] >= 0.75 for r in stream) and all(r["ratio"] >= 0.95 for r in xaccel)
        rows.append(("4. Django stream ≥ 0.75×, X-Accel ≥ 0.95× static", text, ok))
    scale = report.get("scale") or {}
    factor = scale.get("factor") or 0
    seed = scale.get("seed") or {}
    if seed and factor:
        seconds = (seed.get("seconds") or {}).get("total") or seed.get("wall_s", 0)
        rows.append((
            "5. seed 100k users … 1M events in minutes",
            f"factor {factor:g} in {seconds:.0f} s; linear estimate for factor 1: "
            f"{seconds / factor / 60:.0f} min",
            None,
        ))  # fmt: skip
    fan = scale.get("fan_out") or {}
    if fan and fan.get("licences"):
        small = fan.get("small") or {}
        if small.get("licences") and small["licences"] < fan["licences"]:
            # A line through the two sizes: the fixed start-up is not multiplied.
            per = (fan["total_s"] - small["total_s"]) / (fan["licences"] - small["licences"])
            estimate = fan["total_s"] + per * (20000 - fan["licences"])
            how = (
                f"{small['licences']:,} in {small['total_s']:.1f} s; the line through both "
                "gives for 20,000"
            )
        else:
            estimate = fan["total_s"] * 20000 / fan["licences"]
            how = "linear estimate for 20,000"
        rows.append((
            "6. new terms to 20k licences: every notice queued < 60 s",
            f"{fan['licences']:,} licences in {fan['total_s']:.1f} s, {how}: {estimate:.0f} s",
            estimate < 60,
        ))  # fmt: skip
    if report.get("ingest"):
        ratio = report["ingest"]["ratio"]
        rows.append(("7. ingest ≥ 1.5× sha256sum + cp", f"{ratio}×", ratio >= 1.5))
    if not rows:
        return []
    out = ["", "## Issue #13's goals in this run", "", "| goal | this run | |", "|---|---|---|"]
    out += [f"| {goal} | {text} | {mark(ok)} |" for goal, text, ok in rows]
    return out


def ingest_table(result: dict | None) -> list[str]:
    """Goal 7: accord ingest (both cores) against sha256sum + cp one after the other."""
    if not result:
        return []
    baseline = re.sub(r"\S*/(release|cp-copies)", r"\1", result["baseline_command"])
    return [
        "",
        "## Ingest (goal 7: ≥ 1.5× `sha256sum` + `cp`)",
        "",
        f"{result['total_mb']} MiB in {result['files']} files, {result['rounds']} round(s), "
        f"{result['cores']} cores, the page cache warm; baseline "
        f"`{baseline}`. "
        "Times in seconds (median ratio; > 1 means ingest is faster).",
        "",
        "| run | seconds per round | ratio to the baseline | CPU s (all processes) |",
        "|---|---|---|---|",
        f"| sha256sum + cp | {', '.join(map(str, result['baseline_s']))} | 1 | "
        f"{', '.join(map(str, result['cpu_s']['baseline']))} |",
        f"| `accord ingest` (default jobs) | {', '.join(map(str, result['ingest_s']))} | "
        f"**{result['ratio']}×** (read phase {result['ratio_read_phase'] or '–'}×) | "
        f"{', '.join(map(str, result['cpu_s']['ingest']))} |",
        f"| `accord ingest --jobs 1` | {', '.join(map(str, result['ingest_jobs1_s']))} | "
        f"{result['ratio_jobs1']}× | {', '.join(map(str, result['cpu_s']['ingest_jobs1']))} |",
    ]


def scale_tables(result: dict | None) -> list[str]:
    """Goals 3, 5, 6: seeding, lists at 1× and 100×, fan-out of new terms, worker email."""
    if not result:
        return []
    factor = result["factor"]
    out = ["", f"## Scale runs (goals 3, 5, 6), seeded at factor {factor:g}", ""]
    seed = result.get("seed") or {}
    if seed:
        out.append(
            f"- **Seeding** (goal 5; factor 1 = 100k users, 20k licences, 200k entitlements, "
            f"100k files, 1M audit events): `{json.dumps(_short(seed))}`"
        )
    fan = result.get("fan_out") or {}
    if fan:
        out.append(f"- **Fan-out of new terms** (goal 6: 20k licences in < 60 s): "
                   f"`{json.dumps(_short(fan))}`")  # fmt: skip
    smtp = result.get("smtp") or {}
    if smtp:
        out.append(f"- **Worker email to a local SMTP sink**: `{json.dumps(_short(smtp))}`")
    lists = (result.get("lists") or {}).get("lists") or {}
    if lists:
        out += [
            "",
            "Lists (goal 3: p95 at 100× within 1.5× of 1×, constant queries), first page, "
            "in process:",
            "",
            "| list | rows 1× / 100× | queries 1× / 100× | p95 ms 1× | p95 ms 100× | ratio | "
            "ratio at 5 rows a page (API) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in lists.items():
            ratio = f"**{row['ratio']}×**" if row.get("ratio") is not None else "–"
            equal = (
                f"{row['ratio_equal_page']}× ({row['p95_ms_equal_page_1x']} → "
                f"{row['p95_ms_equal_page_100x']} ms)"
                if row.get("ratio_equal_page") is not None
                else "–"
            )
            out.append(
                f"| {name} | {row['rows_1x']} / {row['rows_100x']} | {row['queries_1x']} / "
                f"{row['queries_100x']} | {row['p95_ms_1x']} | {row['p95_ms_100x']} | {ratio} | "
                f"{equal} |"
            )
        out += [
            "",
            "The first page is fuller at 100× (50–500 rows where 1× has 5–20), so its p95 "
            "also grows with what the page shows, not only with the data behind it; the last "
            "column asks the API lists for 5 rows a page on both databases, which leaves only "
            "what grows with the data.",
        ]
    return out


def _short(figures: dict) -> dict:
    """A step's figures without nested detail, for one line of the report."""
    return {k: v for k, v in figures.items() if not isinstance(v, dict | list)}


def reading(report: dict) -> list[str]:
    """What the figures say, written from this run's own numbers (and its in-process
    profiles), so a re-run cannot leave a stale explanation behind."""
    by = {r["label"]: r for r in report["pairs"]}
    out = ["## Reading them", ""]
    loads = [float(x) for x in (report["load_start"].split()[:1] + report["load_end"].split()[:1])]
    if max(loads) > (report["machine"]["cores"] or 1):
        out += [
            f"The load average ({', '.join(f'{x:.1f}' for x in loads)} at the start and end) "
            f"was above the {report['machine']['cores']} cores: other work shared the machine, "
            "so a ratio moves between runs (the per-round range shows how much within this "
            "one). Trust a figure only when re-runs on a quiet machine agree.",
            "",
        ]
    xaccel = [r for label, r in by.items() if label.startswith("X-Accel whole")]
    ranges = [r for label, r in by.items() if label.startswith("X-Accel 4 MiB")]
    stream = [r for label, r in by.items() if label.startswith("Django stream")]
    auth = [r for label, r in by.items() if label.startswith("authorisation")]
    auth_ms = max(
        (r["profile"]["authorisation"]["ms"] for r in auth if r.get("profile")), default=0.0
    )
    cores = report["machine"]["cores"] or 1
    if xaccel:
        burst = 256 * auth_ms / 1000 / cores
        out.append(
            "- **X-Accel, whole files**: "
            + ", ".join(f"{r['ratio']:.2f}×" for r in xaccel)
            + " of nginx's static throughput (16, 256 connections). nginx sends the bytes "
            "either way; Django answers one authorisation per file, but every connection "
            "starts with one: at 256 connections that burst is about "
            f"{burst:.1f} s of CPU on {cores} cores (256 × {auth_ms:.0f} ms, the in-process "
            f"cost below) out of a {2 * report['settings']['seconds']:g} s window, during "
            "which static is already sending: part of the gap at 256 connections is that "
            "burst, and it shrinks with the authorisation request's own cost."
        )
    if ranges and auth:
        a = auth[0].get("profile", {}).get("authorisation", {})
        out.append(
            "- **X-Accel, 4 MiB ranges**: "
            + ", ".join(f"{r['ratio']:.2f}×" for r in ranges)
            + " of static. Every range is one authorisation request through gunicorn "
            f"({a.get('ms', 0):.1f} ms of one core each, measured in process), so on this "
            "machine the authorisation, not nginx, bounds range throughput: it rises with "
            "the authorisation request's own ratio below."
        )
    if stream:
        out.append(
            f"- **Django streaming behind nginx**: {stream[0]['ratio']:.2f}× static with the "
            "shipped `proxy_buffer_size 256k` (one 256 KiB chunk relayed per write; the "
            "default 4 KB relayed it 4 KB at a time). Python reading and writing chunks "
            "shares the cores with nginx and wrk here."
        )
    for r in auth:
        p = r.get("profile")
        if not p:
            continue
        a, m = p["authorisation"], p["minimal"]
        python_ms = a["ms"] - a["db_ms"]
        out.append(
            f"- **Authorisation request, {p['database']}**: {r['ratio']:.2f}× the minimal "
            f"view (p50 {r['p50_ms'][0]:.0f} ms, p99 {r['p99_ms'][0]:.0f} ms at 64 "
            f"connections). In process one request takes {a['ms']:.1f} ms against "
            f"{m['ms']:.1f} ms for the minimal view; {a['db_ms']:.1f} ms of it is inside the "
            f"database driver ({a['queries']:.0f} queries) and {python_ms:.1f} ms is Python "
            "(the request's handling, the one precompiled policy query, the download "
            f"journal's insert; no audit chain lock): {python_ms / a['ms']:.0%} Python, "
            f"{a['db_ms'] / a['ms']:.0%} database. Goal (issue #13): 0.5× the minimal view."
        )
    for v in report["verify"]:
        segments = v.get("segments", 1)
        walked = (
            f"walked in {segments} parallel segments (ACCORD_AUDIT_VERIFY_WORKERS; "
            f"{v['verify_one_process_events_per_s'] / v['raw_events_per_s']:.3f}× in one "
            "process); "
            if segments > 1
            else "one process; "
        )
        out.append(
            f"- **`accord audit verify`, {v['database']}**: the chain's walk runs at "
            f"{v['ratio']:.3f}× raw hashing of "
            f"the same bytes ({walked}{v['chain_events_per_s']:,.0f} vs "
            f"{v['raw_events_per_s']:,.0f} events/s; "
            f"{v['chain_events_per_s'] / v['raw_payloads_events_per_s']:.3f}× hashing the "
            "payloads alone, the figure before the MACs and commitments were counted). "
            f"Streaming verify's own rows (events joined with their personal fields, no "
            f"check) takes {v['rows_share'] * 100:.0f}% of the walk; streaming only the "
            "payloads from the database and hashing them reaches "
            f"{v['read_and_hash_events_per_s'] / v['raw_payloads_events_per_s']:.2f}× "
            "hashing the payloads in memory, the ceiling for any one process that reads its "
            "events from this database (two cores: at most twice that in segments). Before "
            "issue #13 verify ran at 0.027× hashing the payloads alone. The "
            "rest is the per-event checks in Python (rebuilding the canonical payload from "
            "the columns and personal fields, the commitments' and MAC's hashing)."
            + (
                f" The same command also checks the {v['journal_rows']:,} download-journal "
                f"rows the benchmark's downloads wrote ({v['journal_share']:.0%} of its time, "
                f"{v['journal_rows_per_s'] / v['raw_journal_rows_per_s']:.3f}× raw hashing "
                "of what it hashes): each row's columns are rebuilt into its canonical payload "
                "through the ORM and json, without the chain's fast path; a raw-cursor fast "
                "path like the chain's is the next step."
                if v.get("journal_rows")
                else ""
            )
        )
    return out


if __name__ == "__main__":
    main()
