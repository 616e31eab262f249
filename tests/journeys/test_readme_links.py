"""The README and the other docs point only to files a clone has."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "deploy/README.md", "client/README.md", "BENCHMARKS.md"]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]+)[^)]*\)")


def _top_folders() -> list[str]:
    out = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True)
    return sorted({f.split("/")[0] for f in out.stdout.split() if "/" in f})


# A path in backticks that starts at a folder of the repository, or climbs out of it (a
# run-time folder such as ``./var`` is not a reference to a file).
_PATH = re.compile(r"`((?:\.\./|(?:" + "|".join(map(re.escape, _top_folders())) + r")/)[\w./-]+)`")


def _tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True)
    files = set(out.stdout.split())
    return (
        files
        | {str(Path(f).parent) for f in files}
        | {str(parent) for f in files for parent in Path(f).parents}
    )


def _references(doc: Path) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    found = [u for u in _LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", u)]
    return found + [p for p in _PATH.findall(text) if not any(c in p for c in "<>*")]


def _in_clone(doc: Path, ref: str, tracked: set[str]) -> bool:
    for base in (doc.parent, ROOT):
        target = (base / ref).resolve()
        if target.is_relative_to(ROOT) and str(target.relative_to(ROOT)).rstrip("/") in tracked:
            return True
    return False


@pytest.mark.parametrize("name", DOCS)
def test_every_relative_path_in_the_docs_is_in_the_repository(name):
    doc = ROOT / name
    tracked = _tracked()
    missing = [ref for ref in _references(doc) if not _in_clone(doc, ref, tracked)]
    assert missing == []


def test_a_path_outside_the_clone_is_caught(tmp_path):
    assert not _in_clone(ROOT / "README.md", "../shared/MISSION.md", _tracked())
