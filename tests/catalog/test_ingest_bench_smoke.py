"""bench/ingest.py in miniature (2 MiB, one round): it sets up its own installation, times
`accord ingest` against sha256sum + cp, and returns every figure bench/run.py reports. No
timing is asserted (the machines are noisy)."""

from __future__ import annotations

import pytest

from tests.tools import need_executable


@pytest.mark.slow
def test_ingest_bench_returns_its_figures(tmp_path):
    need_executable("sha256sum", "the baseline of the ingest benchmark")
    from bench.ingest import run

    result = run(tmp_path, total_mb=2, files=12, rounds=1)
    assert result["files"] == 12
    assert 1.9 < result["total_mb"] <= 2.0
    for key in ("ingest_s", "ingest_jobs1_s"):  # Django's start-up alone takes a while
        assert len(result[key]) == 1 and result[key][0] > 0, key
    # 2 MiB can be hashed, or read by ingest (which prints tenths of a second), in "0.0 s".
    for key in ("baseline_s", "ingest_read_s"):
        assert len(result[key]) == 1 and result[key][0] >= 0, key  # a number, never NaN
    assert result["ratio"] > 0 and result["goal"] == 1.5
    assert set(result["cpu_s"]) == {"baseline", "ingest", "ingest_jobs1"}
    assert "sha256sum" in result["baseline_command"]
