"""`make bench` in miniature (tiny file, one-second runs, SQLite only): the harness starts the
production layout (gunicorn on a unix socket behind the shipped nginx, wrk as load), measures
every goal of issue #13 against its baseline, and writes both reports. Timing goals are not
asserted here (the machines are noisy): that every measurement ran, served what it was asked
without a failed request, and is reported with its ratio."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.tools import need_executable

ROOT = Path(__file__).resolve().parents[2]


def test_bench_smoke_run_reports_every_measurement(tmp_path):
    need_executable("wrk", "the load generator of make bench")
    need_executable(
        "nginx", "make bench runs the production layout", candidates=("/usr/sbin/nginx",)
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "ACCORD_", "BENCH_"))
    }
    env.update(
        BENCH_OUT=str(tmp_path), BENCH_SECONDS="1", BENCH_ROUNDS="1", BENCH_MB="8",
        BENCH_EVENTS="200", BENCH_DATABASE_URL="",
        BENCH_INGEST_MB="16", BENCH_INGEST_FILES="8", BENCH_SCALE_FACTOR="0",
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "bench.run"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=540,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "BENCHMARKS.json").read_text())
    labels = [row["label"] for row in report["pairs"]]
    for expected in (
        "X-Accel whole 8 MiB file, 16 connections",
        "X-Accel whole 8 MiB file, 256 connections",
        "X-Accel 4 MiB ranges, 16 connections",
        "X-Accel 4 MiB ranges, 256 connections",
        "Django stream whole 8 MiB file, 16 connections",
        "authorisation request, 64 connections, sqlite",
    ):
        assert expected in labels, labels
    for row in report["pairs"]:
        # On a loaded machine a one-second window may complete nothing; nothing may fail.
        assert row["failed"] == [0, 0], (row["label"], row["failed"])
        assert row["ratio"] >= 0
    served = sum(run["bytes"] for row in report["pairs"] for run in row["runs"]["measured"])
    assert served > 0, "no authorised byte was served in any measurement"
    assert report["verify"] and report["verify"][0]["ratio"] > 0
    assert report["ingest"]["files"] == 8 and report["ingest"]["ratio"] > 0
    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    assert "| authorisation request, 64 connections, sqlite |" in markdown
    assert "## Reading them" in markdown
    assert "| `accord ingest` (default jobs) |" in markdown
    assert "## Issue #13's goals in this run" in markdown and "| 7. ingest" in markdown
    # The checkout's own reports are left alone by a smoke run.
    assert not (ROOT / "BENCHMARKS.json").samefile(tmp_path / "BENCHMARKS.json")
