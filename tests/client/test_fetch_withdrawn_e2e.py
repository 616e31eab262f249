"""`accord fetch` against a live portal after a participant withdrew consent: the documents
come with the files, the stale copy is reported (exit 3) and only --remove-withdrawn deletes
it."""

from __future__ import annotations

import hashlib
import json

import pytest

from accord.accounts.services import api_token_create
from accord.catalog.models import Subject
from accord.catalog.services_staff import subject_withdraw
from tests import factories
from tests.access.factories import licence_for, variant_with_files
from tests.client.test_fetch_e2e import ACCORD, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

FILES = {
    "video/s01.bin": b"subject one " * 1000,
    "video/s02.bin": b"subject two " * 1000,
    "README.txt": b"Synthetic test data.\n",
}


@pytest.fixture
def portal(live_portal, tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "server-key.pem"
    dataset = factories.DatasetFactory(slug="synth", name="Synthetic", citation_name="SYNTH")
    factories.CitationFactory(
        dataset=dataset,
        key="synth2024",
        csl={
            "type": "article-journal",
            "title": "A Synthetic Micro-expression Database",
            "author": [{"family": "Li", "given": "Xiaobai"}],
            "container-title": "IEEE Transactions on Affective Computing",
            "issued": {"date-parts": [[2024]]},
        },
    )
    for code in ("01", "02"):
        Subject.objects.create(dataset=dataset, code=code)
    variant = variant_with_files(
        dataset,
        tmp_path,
        FILES,
        slug="synth-v1",
        name="Synth",
        subject_pattern=r"^video/s(?P<subject>\d+)\.bin$",
        shared_pattern=r"^README\.txt$",
    )
    member = factories.UserFactory()
    licence_for(variants=[variant], members=[member])
    token_file = tmp_path / "token"
    token_file.write_text(api_token_create(user=member, name="laptop").secret + "\n")
    token_file.chmod(0o600)
    staff = factories.StaffFactory(custodian=dataset.custodian, admin=True).user
    return {"url": live_portal.url, "token_file": token_file, "dataset": dataset, "staff": staff}


def fetch_cmd(portal, dest, *extra):
    return [
        ACCORD, "fetch", "synth-v1", "--to", str(dest), "--portal", portal["url"],
        "--token-file", str(portal["token_file"]), *extra,
    ]  # fmt: skip


def test_withdrawn_copy_is_reported_then_removed_only_when_asked(portal, tmp_path):
    dest = tmp_path / "synth"
    first = run(fetch_cmd(portal, dest), tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    manifest = json.loads((dest / ".accord" / "manifest.json").read_text())["manifest"]
    for doc in manifest["documents"]:
        local = (dest / doc["path"]).read_bytes()
        assert hashlib.sha256(local).hexdigest() == doc["sha256"]
    assert "A Synthetic Micro-expression Database" in (dest / "CITATION.cff").read_text()
    assert "“SYNTH”" in (dest / "TERMS.md").read_text()

    subject_withdraw(
        subject=portal["dataset"].subjects.get(code="02"),
        reason="Asked by email",
        actor=portal["staff"],
    )
    second = run(fetch_cmd(portal, dest), tmp_path)
    assert second.returncode == 3, second.stdout + second.stderr
    assert "STALE: 1 file(s)" in second.stdout
    assert "video/s02.bin: consent withdrawn on" in second.stdout
    assert "you must delete this copy (your licence requires it)" in second.stdout
    assert (dest / "video" / "s02.bin").exists()

    third = run(fetch_cmd(portal, dest, "--remove-withdrawn"), tmp_path)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "REMOVED: 1 withdrawn file(s)" in third.stdout
    assert not (dest / "video" / "s02.bin").exists()
    assert (dest / "video" / "s01.bin").read_bytes() == FILES["video/s01.bin"]
    removals = json.loads((dest / ".accord" / "removals.json").read_text())
    assert [(r["path"], r["subject"]) for r in removals] == [("video/s02.bin", "02")]

    verify = run(
        [
            ACCORD,
            "manifest",
            "verify",
            str(dest / ".accord" / "manifest.json"),
            "--data",
            str(dest),
        ],
        tmp_path,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
