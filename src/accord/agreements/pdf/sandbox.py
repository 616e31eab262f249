"""Runs ``_worker.py`` in a fresh, resource-limited interpreter and turns every way it can end
(answer, refusal, crash, memory exhaustion, CPU or wall-clock timeout) into a result or a
PdfRefused. Nothing an upload does can raise anything else here."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from .errors import PdfRefused

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("_worker.py")

# 512 MB of address space is ten times what an honest 30-page scan needs to parse or render
# and small enough that a bomb dies long before the machine notices.
MEMORY_BYTES = 512 * 1024 * 1024
CPU_SECONDS = 20
WALL_SECONDS = 30.0

CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGKILL, signal.SIGILL}
CPU_SIGNALS = {signal.SIGXCPU}


def run_worker(
    op: str,
    data: bytes,
    params: dict,
    *,
    memory_bytes: int = MEMORY_BYTES,
    cpu_seconds: int = CPU_SECONDS,
    wall_seconds: float = WALL_SECONDS,
) -> dict:
    """Run one worker op on ``data``; return its answer or raise PdfRefused."""
    params = {**params, "memory_bytes": memory_bytes, "cpu_seconds": cpu_seconds}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    try:
        completed = subprocess.run(
            [sys.executable, "-I", "-B", str(WORKER), op, json.dumps(params)],
            input=data,
            capture_output=True,
            timeout=wall_seconds,
            env=env,
            close_fds=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        # subprocess.run has already killed and reaped the worker.
        logger.warning("pdf worker %s: wall-clock timeout after %ss", op, wall_seconds)
        raise PdfRefused("timeout") from None
    code = completed.returncode
    if code < 0 and -code in CPU_SIGNALS:
        logger.warning("pdf worker %s: CPU limit reached", op)
        raise PdfRefused("timeout")
    if code != 0:
        # Killed by a signal or died in native code: typically an allocation failing under
        # RLIMIT_AS (std::bad_alloc → abort) on a file built to exhaust memory.
        logger.warning(
            "pdf worker %s exited with %s: %s",
            op,
            code,
            completed.stderr[-2000:].decode(errors="replace"),
        )
        raise PdfRefused("too-complex")
    try:
        answer = json.loads(completed.stdout)
    except ValueError:
        logger.warning("pdf worker %s gave no readable answer", op)
        raise PdfRefused("too-complex") from None
    if "refused" in answer:
        if answer.get("detail"):
            logger.info("pdf worker %s refused as %s: %s", op, answer["refused"], answer["detail"])
        raise PdfRefused(answer["refused"], **answer.get("params", {}))
    return answer["ok"]
