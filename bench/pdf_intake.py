"""PDF intake timings: `python -m bench.pdf_intake` (from the repository root).

How long an applicant waits for each step of the signed-agreement pipeline, and how quickly
hostile files are turned away. Every parse runs in a fresh, limited worker process, so the
worker's start-up is part of each number (and is measured on its own)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")

import django  # noqa: E402

django.setup()

from tests.agreements import pdf_corpus  # noqa: E402

from accord.agreements.pdf import (  # noqa: E402
    PdfRefused,
    build_agreement_pdf,
    check_reference_qr,
    inspect_pdf,
    render_pages,
)


def timed(action: Callable[[], object], repeat: int = 3) -> tuple[float, str]:
    runs, outcome = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            result = action()
            outcome = getattr(result, "status", None) or type(result).__name__
        except PdfRefused as refused:
            outcome = f"refused: {refused.code}"
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), outcome


def main() -> None:
    agreement = build_agreement_pdf(pdf_corpus.agreement_data())
    scan = pdf_corpus.scanned(agreement)
    long_scan = pdf_corpus.scanned(
        build_agreement_pdf(
            pdf_corpus.agreement_data(
                clauses=[(f"S{i}", "Clause", "Words of the clause. " * 60) for i in range(40)]
            )
        )
    )
    blanked = pdf_corpus.scanned(agreement, blank_qr=True)
    rows = [
        (
            "build the pre-filled agreement",
            lambda: build_agreement_pdf(pdf_corpus.agreement_data()),
        ),
        ("worker start-up (empty page list)", lambda: render_pages(agreement, max_pages=0)),
        ("inspect generated agreement", lambda: inspect_pdf(agreement)),
        (f"inspect 150-dpi scan ({len(scan) // 1024} KB)", lambda: inspect_pdf(scan)),
        (f"inspect long scan ({len(long_scan) // 1024} KB)", lambda: inspect_pdf(long_scan)),
        ("render scan pages at 110 dpi", lambda: render_pages(scan)),
        ("QR check on the scan", lambda: check_reference_qr(scan, "ACC-2026-00042")),
        (
            "QR check, code blanked (all pages)",
            lambda: check_reference_qr(blanked, "ACC-2026-00042"),
        ),
    ]
    for name in (
        "2 GiB Flate bomb",
        "16 GiB nested Flate bomb",
        "512 MB RunLength bomb",
        "1,000 pages",
    ):
        data = pdf_corpus.HOSTILE[name][0]()
        rows.append((f"refuse {name}", lambda data=data: inspect_pdf(data)))
    print("| step | median seconds | outcome |\n|---|---:|---|")
    for name, action in rows:
        seconds, outcome = timed(action)
        print(f"| {name} | {seconds:.3f} | {outcome} |")


if __name__ == "__main__":
    main()
