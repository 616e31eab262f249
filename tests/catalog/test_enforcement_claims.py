"""The dataset page claims only the enforcement Accord has: a clause is labelled enforced only
when every mechanism it relies on is built, and a built mechanism names tests that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from accord.catalog.enforcement import MECHANISMS, Mechanism, clause_handling, is_enforced
from accord.catalog.models import Clause
from accord.demo.catalogue import DATASETS
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def _test_names(path: Path) -> set[str]:
    """Node-id tails (``test_x`` and ``TestY::test_x``) of the test functions in a file."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names |= {
                f"{node.name}::{f.name}"
                for f in node.body
                if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return {n for n in names if n.rsplit("::", 1)[-1].startswith("test_")}


def test_every_built_mechanism_names_tests_that_exist():
    missing = []
    for mechanism in MECHANISMS.values():
        if not mechanism.implemented:
            continue
        if not mechanism.tests:
            missing.append(f"{mechanism.key}: names no test")
        for node_id in mechanism.tests:
            path, _, name = node_id.partition("::")
            name = name.split("[", 1)[0]
            file = ROOT / path
            if not file.is_file() or name not in _test_names(file):
                missing.append(f"{mechanism.key}: {node_id} does not exist")
    assert not missing, missing


def test_every_demo_clause_that_claims_enforcement_names_known_mechanisms():
    for dataset in DATASETS:
        for code, _title, _text, enforcement, _how, mechanisms in dataset["license"]["clauses"]:
            assert all(k in MECHANISMS for k in mechanisms), (code, mechanisms)
            if enforcement in ("enforced", "both"):
                assert mechanisms, f"{code} claims enforcement but names no mechanism"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("enforcement", "mechanisms", "label"),
    [
        ("enforced", ["malware-scan", "checksums"], "Enforced by Accord"),
        ("both", ["consent-registry"], "Enforced and attested"),
        ("enforced", [], "Not yet enforced by Accord"),
        ("enforced", ["no-such-mechanism"], "Not yet enforced by Accord"),
        ("enforced", ["malware-scan", "planned-thing"], "Not yet enforced by Accord"),
        ("both", ["consent-registry", "planned-thing"], "Signed attestation"),
        ("attestation", ["malware-scan"], "Signed attestation"),
    ],
)
def test_a_clause_is_labelled_enforced_only_when_every_mechanism_is_built(
    enforcement, mechanisms, label, monkeypatch
):
    # A mechanism not built yet (every real one may be built by now).
    monkeypatch.setitem(
        MECHANISMS, "planned-thing", Mechanism("planned-thing", "Something planned.", False)
    )
    clause = factories.ClauseFactory(enforcement=enforcement, mechanisms=mechanisms)
    assert str(clause_handling(clause).label) == label


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # accord demo refuses to run on a production portal
    call_command("demo")


def _rows(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr class="clause" id="clause-(\w+)">(.*?)</tr>', page, re.S))


def test_the_dataset_pages_label_enforced_only_what_accord_enforces(client, demo):
    clauses = {c.code: c for c in Clause.objects.all()}
    seen = 0
    for slug in ("smic", "casmemg"):
        for code, row in _rows(client.get(f"/datasets/{slug}/").content.decode()).items():
            seen += 1
            claims_enforced = "Enforced" in row
            assert claims_enforced == is_enforced(clauses[code]), (code, row)
            if claims_enforced:
                assert all(MECHANISMS[k].implemented for k in clauses[code].mechanisms)
    assert seen == len(clauses) == 13


def test_terms_changes_are_not_claimed_until_opting_out_is_built(client, demo):
    rows = _rows(client.get("/datasets/smic/").content.decode())
    if MECHANISMS["terms-change-opt-out"].implemented:
        assert "Enforced by Accord" in rows["S6"]
    else:
        assert "Not yet enforced by Accord" in rows["S6"]
        assert "Planned, not yet built" in rows["S6"]
    # The publication register and its checks are built: S4 is enforced as well as attested.
    assert "Enforced and attested" in rows["S4"] and "Planned, not yet built" not in rows["S4"]
    assert "Enforced by Accord" in rows["S7"] and "malware" in rows["S7"]
