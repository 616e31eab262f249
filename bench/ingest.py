"""`accord ingest` against `sha256sum` + `cp` run one after the other over the same release:
python -m bench.ingest [--mb 1024] [--files 400] [--rounds 3] (from the repository root).

``run(workdir, total_mb, files)`` returns the figures (for bench/run.py): each round times the
baseline, the ingest command end to end (a fresh variant each time, so every file is hashed
and copied; Django's start-up included) and the same with ``--jobs 1``, interleaved, with the
page cache warm for all three. ``ratio`` is the baseline's median time over the ingest's
(> 1: ingest is faster); the three take turns going first, each starts after ``sync``, and
CPU seconds are reported beside wall-clock ones (on a shared host the wall clock mostly says
how busy the others were). No virus scanner: clamd's own speed is not what this measures.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
SEED = 13


def make_release(folder: Path, total_mb: int, files: int) -> int:
    """``files`` files of incompressible bytes, sizes spread 1:1000, ``total_mb`` MiB in
    all, 20 to a folder. Returns the total size."""
    rng = random.Random(SEED)
    weights = [rng.randint(1, 1000) for _ in range(files)]
    scale = total_mb * MB / sum(weights)
    block = os.urandom(MB)
    total = 0
    for i, weight in enumerate(weights):
        size = max(1, int(weight * scale))
        path = folder / f"s{i // 20:03d}" / f"frame{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            left = size
            while left > 0:
                # A different first byte per file: no two files share content.
                chunk = bytes([i % 256, i // 256 % 256]) + block[2 : min(left, MB)]
                fh.write(chunk[:left])
                left -= len(chunk)
        total += size
    return total


def _env(workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "ACCORD_DATA_DIR": str(workdir / "var"),
        "ACCORD_SECRET_KEY": "bench-" + "x" * 40,
        "ACCORD_ALLOWED_HOSTS": "localhost",
        "ACCORD_TASKS_BACKEND": "database",
        "ACCORD_EMAIL_BACKEND": "locmem",
    }
    for name in ("ACCORD_DATABASE_URL", "ACCORD_CLAMD_ADDRESS", "ACCORD_PROTECTED_ROOT"):
        env.pop(name, None)
    return env


SETUP = """
from accord.catalog.models import Custodian, Dataset, Variant
c = Custodian.objects.create(slug="bench", name="Bench Lab", country="Finland",
                             contact_email="b@lab.example")
d = Dataset.objects.create(custodian=c, slug="bench", name="Bench", summary="s",
                           description="d")
for i in range({rounds}):
    for kind in ("par", "seq"):
        Variant.objects.create(dataset=d, slug=f"{{kind}}-{{i}}", name=f"{{kind}} {{i}}")
"""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def _measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds (all processes) of one command, started with nothing of
    ours waiting to be written back (so one run does not pay for the last one's writes)."""
    os.sync()
    cpu = _cpu()
    seconds, out = _timed(args, env)
    return seconds, _cpu() - cpu, out


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(workdir: Path, total_mb: int, files: int, rounds: int = 3) -> dict:
    workdir = Path(workdir)
    release = workdir / "release"
    copies = workdir / "cp-copies"
    shutil.rmtree(release, ignore_errors=True)
    size = make_release(release, total_mb, files)
    env = _env(workdir)
    accord = [sys.executable, "-m", "accord.cli"]
    _timed([*accord, "migrate", "-v0"], env)
    _timed([*accord, "shell", "-c", SETUP.format(rounds=rounds)], env)
    protected = workdir / "var" / "protected" / "datasets" / "bench"
    baseline_cmd = (
        f"find {release} -type f -print0 | xargs -0 sha256sum > /dev/null "
        f"&& cp -r {release} {copies}"
    )
    _timed(["sh", "-c", f"find {release} -type f -print0 | xargs -0 cat > /dev/null"])  # warm
    os.sync()  # the release was just written: not while measuring
    baseline, ingest, ingest_read, sequential = [], [], [], []
    cpu: dict[str, list[float]] = {"baseline": [], "ingest": [], "ingest_jobs1": []}
    load_before = _load()

    def run_baseline(i: int) -> None:
        seconds, used, _out = _measured(["sh", "-c", baseline_cmd])
        baseline.append(seconds)
        cpu["baseline"].append(used)
        shutil.rmtree(copies, ignore_errors=True)

    def run_ingest(i: int) -> None:
        seconds, used, out = _measured([*accord, "ingest", f"par-{i}", str(release)], env)
        ingest.append(seconds)
        cpu["ingest"].append(used)
        read = re.search(r"read \d+ files \(.*?\) in ([\d.]+) s", out)
        ingest_read.append(float(read.group(1)) if read else float("nan"))
        shutil.rmtree(protected / f"par-{i}", ignore_errors=True)

    def run_sequential(i: int) -> None:
        args = [*accord, "ingest", f"seq-{i}", str(release), "--jobs", "1"]
        seconds, used, _out = _measured(args, env)
        sequential.append(seconds)
        cpu["ingest_jobs1"].append(used)
        shutil.rmtree(protected / f"seq-{i}", ignore_errors=True)

    order = [run_baseline, run_ingest, run_sequential]
    for i in range(rounds):
        for step in order[i % 3 :] + order[: i % 3]:  # each goes first in turn
            step(i)

    def med(xs: list[float]) -> float:
        return statistics.median(xs)

    return {
        "total_mb": round(size / MB, 1),
        "files": files,
        "rounds": rounds,
        "cores": len(os.sched_getaffinity(0)),
        "load_average": {"before": load_before, "after": _load()},
        "baseline_command": baseline_cmd,
        "ingest_command": f"accord ingest VARIANT {release}",
        "baseline_s": [round(x, 2) for x in baseline],
        "ingest_s": [round(x, 2) for x in ingest],
        "ingest_read_s": [round(x, 2) for x in ingest_read],
        "ingest_jobs1_s": [round(x, 2) for x in sequential],
        "ratio": round(med(baseline) / med(ingest), 2),
        # A tiny release is read in under the 0.1 s ingest prints: no ratio then.
        "ratio_read_phase": round(med(baseline) / med(ingest_read), 2)
        if med(ingest_read)
        else None,
        "ratio_jobs1": round(med(baseline) / med(sequential), 2),
        "ratio_per_round": [round(b / x, 2) for b, x in zip(baseline, ingest, strict=True)],
        # CPU seconds of all processes: what a busy host's other work does not change much.
        "cpu_s": {k: [round(x, 2) for x in v] for k, v in cpu.items()},
        "goal": 1.5,
    }


def main(argv: list[str]) -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-", dir=args.workdir) as work:
        result = run(Path(work), args.mb, args.files, rounds=args.rounds)
    print(json.dumps(result, indent=2))
    print(
        f"ingest {result['total_mb']} MiB in {result['files']} files: "
        f"{result['ratio']}x sha256sum + cp (goal {result['goal']}x); "
        f"--jobs 1: {result['ratio_jobs1']}x"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
