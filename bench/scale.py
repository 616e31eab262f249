"""Scale runs against data from `accord seed_scale` (issue #13 goals 3, 5 and 6), each a function
returning a dict of figures, for bench/run.py to put in BENCHMARKS.md:

- ``seed(factor)``: how long seeding takes (seconds per step; at factor 1: 100k users, 20k
  licences, 200k entitlements, 100k files, 1M audit events);
- ``list_p95(factor)``: p95 of the first page of every list, web and API, on a database
  seeded at ``factor`` (100×) against one seeded at ``factor / 100`` (1×), as the person,
  staff member or visitor who reads it (in process, Django's test client: the view's and the
  database's time, not the HTTP server's);
- ``fan_out(factor)``: publishing new terms to every licence of the seeded dataset — the
  publish itself, then the worker's tasks that queue every notice, with the total checked;
- ``smtp_throughput(factor)``: the worker delivering those notices to a local SMTP sink
  (aiosmtpd), emails per second.

Each seeded database is a SQLite file in a temporary folder (BENCH_SCALE_DIR keeps them), built
and measured in a child process so every run has its own settings. Standalone:

    python -m bench.scale --factor 0.05            all four, JSON on stdout
    python -m bench.scale --factor 0.05 --only seed,fan_out

At --factor 0.05 the whole run takes a few minutes on a 2-core machine; --factor 1 seeds the
full 1M events (minutes) twice over — seed once with ``--only seed`` to time that.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_SCALE_RUNS", "20"))  # requests per list for its p95
EQUAL_PAGE = 5  # rows a page for the API lists' second measurement (at most the 1× rows)


# --- The parent: one child process per seeded database --------------------------------------


def _env(folder: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="accord.settings",
        ACCORD_SECRET_KEY="bench-scale-secret-key-not-for-production-0123456789",
        ACCORD_DATA_DIR=str(folder),
        ACCORD_DATABASE_URL=f"sqlite:///{folder / 'accord.sqlite3'}",
        ACCORD_ALLOWED_HOSTS="testserver,localhost",
        ACCORD_TASKS_BACKEND="database",
        ACCORD_EMAIL_BACKEND="smtp",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src"), env_get("PYTHONPATH")]),
    )
    env.update(extra)
    return env


def env_get(name: str) -> str:
    return os.environ.get(name, "")


def _child(step: str, folder: Path, *args: str, **env: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--child", step, *args],
        cwd=ROOT,
        env=_env(folder, **env),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"bench.scale {step} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class Seeded:
    """Folders of seeded databases, one per factor, made on first use."""

    def __init__(self, root: Path):
        self.root = root
        self.seeds: dict[float, dict] = {}

    def folder(self, factor: float) -> Path:
        folder = self.root / f"factor-{factor:g}"
        if factor not in self.seeds:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            self.seeds[factor] = _child("seed", folder, str(factor))
        return folder

    def copy(self, factor: float, name: str) -> Path:
        """A throw-away copy of a seeded database (for runs that change it)."""
        source = self.folder(factor)
        target = self.root / f"{name}-{factor:g}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        return target


def seed(factor: float, seeded: Seeded) -> dict:
    seeded.folder(factor)
    return seeded.seeds[factor]


def list_p95(factor: float, seeded: Seeded) -> dict:
    small = _child("lists", seeded.folder(factor / 100), str(RUNS))
    big = _child("lists", seeded.folder(factor), str(RUNS))
    rows = {}
    for name in big["lists"]:
        one, hundred = small["lists"][name], big["lists"][name]
        rows[name] = {
            "p95_ms_1x": one["p95_ms"],
            "p95_ms_100x": hundred["p95_ms"],
            "ratio": round(hundred["p95_ms"] / one["p95_ms"], 2) if one["p95_ms"] else None,
            "rows_1x": one["rows"],
            "rows_100x": hundred["rows"],
            "queries_1x": one["queries"],
            "queries_100x": hundred["queries"],
        }
        if "p95_ms_equal_page" in hundred:
            low, high = one["p95_ms_equal_page"], hundred["p95_ms_equal_page"]
            rows[name].update(
                p95_ms_equal_page_1x=low,
                p95_ms_equal_page_100x=high,
                ratio_equal_page=round(high / low, 2) if low else None,
            )
    return {"factor_1x": factor / 100, "factor_100x": factor, "runs": RUNS, "lists": rows}


def fan_out(factor: float, seeded: Seeded) -> dict:
    """The fan-out at ``factor``, and at ``factor / 100`` for the fixed part of its time (the
    first task's start-up: URL configuration, catalogues), so the estimate for 20,000
    licences is a line through two points, not a multiple of one."""
    result = _child("fan_out", seeded.copy(factor, "fanout"))
    small = _child("fan_out", seeded.copy(factor / 100, "fanout-small"))
    result["small"] = {"licences": small["licences"], "total_s": small["total_s"]}
    return result


def smtp_throughput(factor: float, seeded: Seeded) -> dict:
    folder = seeded.copy(factor, "smtp")
    port = _free_port()
    return _child(
        "smtp", folder, str(port), ACCORD_EMAIL_HOST="127.0.0.1", ACCORD_EMAIL_PORT=str(port)
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- The children: run inside Django, print one JSON line -----------------------------------


def _django() -> None:
    import django
    from django.conf import settings

    # Pages render without `collectstatic` having run (the manifest storage wants it); the
    # static files are not what is measured.
    storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": storage}
    django.setup()


def _seed_child(factor: str) -> dict:
    _django()
    from django.core.management import call_command

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate = time.perf_counter() - start
    from accord.demo.scale import seed_scale

    result = seed_scale(factor=float(factor))
    result["seconds"]["migrate"] = round(migrate, 2)
    result["sqlite_mb"] = round(
        Path(os.environ["ACCORD_DATA_DIR"], "accord.sqlite3").stat().st_size / 2**20
    )
    return result


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000, 1)


def _lists_child(runs: str) -> dict:
    _django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accord.accounts.models import ApiToken, User
    from accord.accounts.services import api_token_create
    from accord.demo.scale import POWER_EMAIL, STAFF_EMAIL

    power = User.objects.get(email=POWER_EMAIL)
    staff = User.objects.get(email=STAFF_EMAIL)
    _give_totp(staff)
    clients = {"anonymous": Client(), "me": Client(), "staff": Client()}
    clients["me"].force_login(power)
    clients["staff"].force_login(staff)
    tokens = {
        "me": api_token_create(user=power, name="bench", scope=ApiToken.Scope.READ).secret,
        "staff": api_token_create(user=staff, name="bench", scope=ApiToken.Scope.READ).secret,
    }
    lists = [
        ("web /access/ (your data)", "me", reverse("access:my_access")),
        ("web my applications and licences", "me", reverse("agreements:my_applications")),
        ("web licence register", "staff", reverse("agreements:licence_register")),
        ("web audit trail", "staff", reverse("audit:event_list")),
        ("web catalogue", "anonymous", reverse("catalog:dataset_list")),
        ("web variant files", "me", reverse("downloads:variant_files", args=["scale-00-raw"])),
        ("api licences", "me", "/api/v1/licences"),
        ("api memberships", "me", "/api/v1/memberships"),
        ("api entitlements", "me", "/api/v1/access/entitlements"),
        ("api downloadable variants", "me", "/api/v1/downloads/variants"),
        ("api variant files", "me", "/api/v1/variants/scale-00-raw/files"),
        ("api licence register", "staff", "/api/v1/review/licences"),
        ("api audit events", "staff", "/api/v1/audit/events"),
    ]
    from accord.access.models import Entitlement
    from accord.audit.models import Event
    from accord.catalog.models import DataFile
    from accord.licences.models import Licence

    sizes = {  # what each list's rows grow with
        "me": Entitlement.objects.filter(user=power).count(),
        "staff": Licence.objects.count(),
        "anonymous": DataFile.objects.count(),
        "events": Event.objects.count(),
    }
    out = {}
    for name, who, url in lists:
        headers = {}
        client = clients[who]
        if url.startswith("/api/"):
            client = Client()
            if who != "anonymous":
                headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[who]}"}
        response = client.get(url, **headers)  # warm
        if response.status_code != 200:
            raise SystemExit(f"{name}: {url} answered {response.status_code}")
        queries = _Counter()
        with connection.execute_wrapper(queries):
            client.get(url, **headers)
        samples = []
        for _ in range(int(runs)):
            start = time.perf_counter()
            client.get(url, **headers)
            samples.append(time.perf_counter() - start)
        rows = sizes["events"] if "audit" in name else sizes[who]
        out[name] = {"p95_ms": _p95(samples), "rows": rows, "queries": queries.count}
        if url.startswith("/api/"):
            # The same list at EQUAL_PAGE rows a page on both databases: what grows with the
            # data alone, not with a first page that is fuller at 100× (6 rows against 50).
            equal = f"{url}?page_size={EQUAL_PAGE}"
            samples = []
            for _ in range(int(runs)):
                start = time.perf_counter()
                client.get(equal, **headers)
                samples.append(time.perf_counter() - start)
            out[name]["p95_ms_equal_page"] = _p95(samples)
    return {"lists": out}


class _Counter:
    """Counts the queries a request makes (CaptureQueriesContext's log is reset per request)."""

    count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _give_totp(user) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")


def _publish():
    import datetime as dt

    from accord.accounts.models import User
    from accord.catalog.models import Dataset
    from accord.catalog.services_staff import ClauseText
    from accord.core import clock
    from accord.demo.scale import STAFF_EMAIL
    from accord.licences.services_terms import terms_draft_and_publish

    dataset = Dataset.objects.get(slug="scale-00")
    return terms_draft_and_publish(
        dataset=dataset,
        actor=User.objects.get(email=STAFF_EMAIL),
        title="Licence agreement, second edition",
        effective_date=clock.localdate() + dt.timedelta(days=dataset.notice_days + 1),
        clauses=[ClauseText(code="C1", title="Use", text="Research use only.")],
    )


def _expected_notices() -> int:
    from accord.licences.models import Licence, LicenceMember

    members = LicenceMember.objects.filter(
        status=LicenceMember.Status.ACTIVE, licence__dataset__slug="scale-00"
    ).count()
    return Licence.objects.filter(dataset__slug="scale-00").count() + members


def _fan_out_child() -> dict:
    _django()
    from django_tasks_db.models import DBTaskResult

    from accord.audit.models import Event
    from accord.audit.verify import verify_chain
    from accord.licences.models import TermsChange
    from accord.notifications.models import OutgoingEmail
    from accord.notifications.terms import terms_notices

    expected = _expected_notices()
    start = time.perf_counter()
    version = _publish()
    published = time.perf_counter() - start
    tasks = list(DBTaskResult.objects.filter(task_path__endswith=".terms_notices"))
    # What the worker does with each task (in this process, one after the other).
    queue_start = time.perf_counter()
    for task in tasks:
        terms_notices(*task.args_kwargs["args"])
    queued = time.perf_counter() - queue_start
    emails = OutgoingEmail.objects.count()
    if emails != expected:
        raise SystemExit(f"fan-out queued {emails} notices, expected {expected}")
    # Every licence has its own audit event, and the chain they were appended to verifies.
    licences = TermsChange.objects.filter(license_version=version).count()
    events = Event.objects.filter(
        event_type="agreements:licence:terms_notice", dataset_id=version.dataset_id
    ).count()
    if events != licences:
        raise SystemExit(f"fan-out audited {events} licences, expected {licences}")
    chain = verify_chain()
    if not chain.ok:
        raise SystemExit(f"the audit chain does not verify after the fan-out: {chain}")
    return {
        "licences": licences,
        "notices": emails,
        "publish_s": round(published, 2),
        "notice_tasks": len(tasks),
        "queue_notices_s": round(queued, 2),
        "total_s": round(published + queued, 2),
        "delivery_tasks": DBTaskResult.objects.filter(
            task_path__endswith=".deliver_emails"
        ).count(),
        "goal_s": 60,
    }


def _smtp_child(port: str) -> dict:
    _django()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from accord.notifications.models import OutgoingEmail
    from accord.notifications.terms import terms_notices

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.received += 1
            return "250 OK"

    _publish()
    for task in DBTaskResult.objects.filter(task_path__endswith=".terms_notices"):
        terms_notices(*task.args_kwargs["args"])
    emails = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED).count()
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(port))
    controller.start()
    try:
        start = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("db_worker", "--batch", "--no-startup-delay", stdout=quiet)
        elapsed = time.perf_counter() - start
    finally:
        controller.stop()
    sent = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).count()
    if sent != emails or Sink.received != emails:
        raise SystemExit(f"worker sent {sent} of {emails} (sink received {Sink.received})")
    return {
        "emails": emails,
        "seconds": round(elapsed, 2),
        "emails_per_s": round(emails / elapsed, 1),
        "per_connection": 200,
        "worker": "one db_worker process (--batch)",
    }


CHILDREN = {
    "seed": _seed_child,
    "lists": _lists_child,
    "fan_out": _fan_out_child,
    "smtp": _smtp_child,
}
STEPS = {"seed": seed, "lists": list_p95, "fan_out": fan_out, "smtp": smtp_throughput}


def run(factor: float, only: list[str] | None = None, root: Path | None = None) -> dict:
    """Every step (or ``only`` those) at ``factor``; figures per step plus its wall time."""
    keep = root or os.environ.get("BENCH_SCALE_DIR")
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="accord-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    seeded = Seeded(folder)
    results: dict = {"factor": factor}
    try:
        for name in only or list(STEPS):
            start = time.perf_counter()
            results[name] = STEPS[name](factor, seeded)
            results[name]["wall_s"] = round(time.perf_counter() - start, 1)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=float, default=0.05)
    parser.add_argument("--only", default="", help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        step, *rest = args.child
        print(json.dumps(CHILDREN[step](*rest)))
        return
    only = [s.strip() for s in args.only.split(",") if s.strip()] or None
    unknown = set(only or ()) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    print(json.dumps(run(args.factor, only), indent=2))


if __name__ == "__main__":
    main()
