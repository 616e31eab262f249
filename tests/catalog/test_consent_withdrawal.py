"""A subject withdraws consent: their files stop being served at once (Django stream and nginx
hand-off, links issued before included), each variant holding them publishes a new release
without them (the old release's record still lists them), manifests signed afterwards leave
them out and list them under "withdrawn", shared sheets are redacted or listed for staff, and
exactly the people who downloaded any of them (and their licences' signers) are asked to
delete exactly those files and attest."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accord.audit.models import Event
from accord.catalog.models import DataFile, Subject, VariantRelease
from accord.catalog.services_staff import subject_withdraw
from accord.core.storage import protected_storage
from accord.downloads.manifests import manifest_payload
from accord.licences.models import DeletionAttestation
from accord.licences.services_closeout import step_attestation_reminders
from tests import factories
from tests.access.factories import licence_for, variant_with_files
from tests.downloads.conftest import body, issue

pytestmark = pytest.mark.django_db

SHEET = (
    "Subject,Filename,OnsetF,OffsetF,Emotion\n"
    "01,s1_po_01,101,110,positive\n"
    "02,s2_ne_01,201,210,negative\n"
    "01,s1_sur_01,301,310,surprise\n"
)
FILES = {
    "HS/s1/micro/positive/s1_po_01/image000101.png": b"frame of subject one",
    "HS/s1/micro/surprise/s1_sur_01/image000301.png": b"another frame of subject one",
    "HS/s2/micro/negative/s2_ne_01/image000201.png": b"frame of subject two",
    "HS/HS_annotations.csv": SHEET.encode(),
    "README.txt": b"Synthetic demo data.\n",
}
ONE_A = "HS/s1/micro/positive/s1_po_01/image000101.png"
ONE_B = "HS/s1/micro/surprise/s1_sur_01/image000301.png"
TWO = "HS/s2/micro/negative/s2_ne_01/image000201.png"


@pytest.fixture(autouse=True)
def _locmem(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "signing.pem"


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


@pytest.fixture
def subjects(dataset):
    return {code: factories.SubjectFactory(dataset=dataset, code=code) for code in ("01", "02")}


def smic_variant(dataset, tmp_path, files=FILES, **kwargs):
    kwargs = {
        "slug": "smic",
        "name": "SMIC",
        "subject_pattern": r"^[^/]+/s(?P<subject>\d+)/",
        "shared_pattern": r"(^[^/]+/[^/]+_annotations\.csv|^README\.txt)$",
        "subject_column": "Subject",
        **kwargs,
    }
    return variant_with_files(dataset, tmp_path, files, **kwargs)


@pytest.fixture
def variant(dataset, subjects, tmp_path):
    return smic_variant(dataset, tmp_path)


@pytest.fixture
def people(db):
    return {name: factories.UserFactory(full_name=name.title()) for name in ("ann", "bo", "cy")}


@pytest.fixture
def licence(variant, people):
    return licence_for(variants=[variant], members=people.values())


def _file(variant, path) -> DataFile:
    return variant.files.get(path=path, retired_at__isnull=True)


def _download(client, user, data_file) -> None:
    response = client.get(issue(user, data_file))
    assert response.status_code == 200
    body(response)


@pytest.fixture
def downloads(client, variant, licence, people):
    """Ann got one of subject 01's files, Bo the other and the annotation sheet, Cy only a
    file of subject 02."""
    _download(client, people["ann"], _file(variant, ONE_A))
    _download(client, people["bo"], _file(variant, ONE_B))
    _download(client, people["bo"], _file(variant, "HS/HS_annotations.csv"))
    _download(client, people["cy"], _file(variant, TWO))


def withdraw(subject, actor, capture=None, reason="Letter from the participant, 3 March"):
    if capture is None:
        return subject_withdraw(subject=subject, actor=actor, reason=reason)
    with capture(execute=True):
        return subject_withdraw(subject=subject, actor=actor, reason=reason)


# --- Files know their subject -----------------------------------------------------------------


def test_ingest_records_each_files_subject_and_marks_shared_sheets(variant, subjects):
    assert _file(variant, ONE_A).subject == subjects["01"]
    assert _file(variant, TWO).subject == subjects["02"]
    sheet = _file(variant, "HS/HS_annotations.csv")
    assert sheet.subject is None and sheet.shared


def test_ingest_refuses_a_path_that_matches_no_pattern_naming_it_and_saving_nothing(
    dataset, subjects, tmp_path
):
    from accord.catalog.services import IngestError

    files = {**FILES, "HS/notes/loose.txt": b"?", "HS/s9/micro/x/image1.png": b"?"}
    with pytest.raises(IngestError) as refused:
        smic_variant(dataset, tmp_path, files)
    message = str(refused.value)
    assert "HS/notes/loose.txt" in message  # matches neither pattern
    assert "HS/s9/micro/x/image1.png (9)" in message  # names a subject the dataset lacks
    assert "Nothing was ingested" in message
    assert not DataFile.objects.exists()


def test_a_pattern_without_the_subject_group_is_refused_when_saved(dataset):
    from django.core.exceptions import ValidationError

    variant = factories.VariantFactory.build(dataset=dataset, subject_pattern=r"^s(\d+)/")
    with pytest.raises(ValidationError) as refused:
        variant.full_clean()
    assert "subject_pattern" in refused.value.message_dict
    variant.subject_pattern = r"^s(?P<subject>\d+"
    with pytest.raises(ValidationError) as refused:
        variant.full_clean()
    assert "not a valid regular expression" in str(refused.value)


def test_manifest_and_file_page_show_each_files_subject(client, variant, licence, people):
    entitlement = licence.entitlements.get(user=people["ann"])
    files = {e["path"]: e["subject"] for e in manifest_payload(entitlement=entitlement)["files"]}
    assert files[ONE_A] == "01" and files[TWO] == "02"
    assert files["HS/HS_annotations.csv"] is None

    client.force_login(people["ann"])
    page = client.get(reverse("downloads:variant_files", args=[variant.slug])).content.decode()
    assert '<td class="subject">01</td>' in page and "shared" in page


def test_staff_files_page_shows_subjects_and_releases(client, data_manager, dataset, variant):
    client.force_login(data_manager)
    page = client.get(reverse("catalog:staff_files", args=[dataset.slug])).content.decode()
    assert ONE_A in page and "<td>01</td>" in page and "1.0" in page


# --- Withdrawing a subject: who is asked --------------------------------------------------------


def test_exactly_the_downloaders_and_the_signer_are_asked_about_exactly_their_files(
    variant, licence, people, subjects, data_manager, downloads, django_capture_on_commit_callbacks
):
    withdraw(subjects["01"], data_manager, django_capture_on_commit_callbacks)

    asked = {
        a.user: sorted(f.path for f in a.files.all())
        for a in DeletionAttestation.objects.filter(reason="withdrawal")
    }
    assert asked == {
        people["ann"]: [ONE_A],
        people["bo"]: ["HS/HS_annotations.csv", ONE_B],
        licence.signer: ["HS/HS_annotations.csv", ONE_A, ONE_B],
    }
    # Bo and the signer were asked about the sheet's old copy (with subject 01's rows).
    (old_sheet,) = {f for a in DeletionAttestation.objects.all() for f in a.files.all()} - {
        f for f in DataFile.objects.filter(subject=subjects["01"])
    }
    assert old_sheet.retired_at is not None
    emailed = sorted(m.to[0] for m in mail.outbox if "Consent withdrawn" in m.subject)
    assert emailed == sorted([people["ann"].email, people["bo"].email, licence.signer.email])
    to_ann = next(m for m in mail.outbox if m.to == [people["ann"].email])
    assert ONE_A in to_ann.body and ONE_B not in to_ann.body
    assert "Letter from the participant" not in to_ann.body


def test_a_licence_under_which_nothing_of_theirs_was_downloaded_asks_nobody(
    variant, subjects, data_manager, client
):
    other = licence_for(variants=[variant], members=[factories.UserFactory()])
    _download(client, other.signer, _file(variant, TWO))

    withdraw(subjects["01"], data_manager)

    assert not DeletionAttestation.objects.exists()


# --- Withdrawing a subject: the files stop being served ---------------------------------------


def test_a_link_issued_before_the_withdrawal_is_refused_by_the_django_stream(
    client, variant, licence, people, subjects, data_manager
):
    link = issue(people["ann"], _file(variant, ONE_A))

    withdraw(subjects["01"], data_manager)

    response = client.get(link)
    assert response.status_code == 403
    assert "no longer served" in response.content.decode()
    assert Event.objects.filter(
        event_type="downloads:file:refuse", details__reason="withdrawn"
    ).exists()


def test_a_link_issued_before_the_withdrawal_is_refused_by_the_nginx_handoff(
    client, variant, licence, people, subjects, data_manager, settings
):
    settings.DOWNLOAD_BACKEND = "nginx"
    link = issue(people["ann"], _file(variant, ONE_A))

    withdraw(subjects["01"], data_manager)

    response = client.get(link)
    assert response.status_code == 403
    assert "X-Accel-Redirect" not in response


def test_no_new_link_to_a_withdrawn_file_and_it_leaves_the_file_page(
    client, variant, licence, people, subjects, data_manager
):
    one_a = _file(variant, ONE_A)
    withdraw(subjects["01"], data_manager)

    client.force_login(people["ann"])
    response = client.post(reverse("downloads:file_download", args=[one_a.pk]))
    assert response.status_code == 404
    page = client.get(reverse("downloads:variant_files", args=[variant.slug])).content.decode()
    assert ONE_A not in page and TWO in page


# --- Withdrawing a subject: releases and manifests -----------------------------------------------


def test_a_new_release_without_the_files_is_published_and_the_old_record_keeps_them(
    variant, subjects, data_manager
):
    withdraw(subjects["01"], data_manager)

    variant.refresh_from_db()
    assert variant.release == "1.1"
    old = VariantRelease.objects.get(variant=variant, label="1.0")
    new = VariantRelease.objects.get(variant=variant, label="1.1")
    held = set(old.entries.filter(change="included").values_list("path", flat=True))
    assert {ONE_A, ONE_B, TWO} <= held
    now_held = set(new.entries.filter(change="included").values_list("path", flat=True))
    assert TWO in now_held and ONE_A not in now_held and ONE_B not in now_held
    removed = set(new.entries.filter(change="removed").values_list("path", flat=True))
    assert removed == {ONE_A, ONE_B, "HS/HS_annotations.csv"}
    assert new.reason == "withdrawal" and new.withdrawal.subject == subjects["01"]


def test_a_manifest_signed_after_the_withdrawal_excludes_the_files_and_lists_them_withdrawn(
    variant, licence, people, subjects, data_manager
):
    one_a = _file(variant, ONE_A)
    withdraw(subjects["01"], data_manager)

    payload = manifest_payload(entitlement=licence.entitlements.get(user=people["ann"]))
    paths = {e["path"] for e in payload["files"]}
    assert ONE_A not in paths and ONE_B not in paths and TWO in paths
    assert payload["variant"]["release"] == "1.1"
    withdrawn = {e["path"]: e for e in payload["withdrawn"]}
    assert set(withdrawn) == {ONE_A, ONE_B, "HS/HS_annotations.csv"}
    assert withdrawn[ONE_A] == {
        "path": ONE_A,
        "sha256": one_a.sha256,
        "subject": "01",
        "release": "1.1",
        "withdrawn_on": withdrawn[ONE_A]["withdrawn_on"],
    }
    assert withdrawn[ONE_A]["withdrawn_on"] == timezone.localdate().isoformat()


def test_the_manifest_gives_the_day_consent_was_withdrawn_as_staff_recorded_it(
    variant, licence, people, subjects, data_manager
):
    day = timezone.now() - dt.timedelta(days=3)
    subject_withdraw(subject=subjects["01"], actor=data_manager, reason="x", withdrawn_at=day)

    payload = manifest_payload(entitlement=licence.entitlements.get(user=people["ann"]))
    assert {e["withdrawn_on"] for e in payload["withdrawn"]} == {
        timezone.localdate(day).isoformat()
    }


# --- The shared-sheet rule --------------------------------------------------------------------


def test_a_shared_sheet_with_a_subject_column_is_redacted_in_the_new_release(
    variant, licence, people, subjects, data_manager
):
    old = _file(variant, "HS/HS_annotations.csv")

    withdraw(subjects["01"], data_manager)

    new = _file(variant, "HS/HS_annotations.csv")
    assert new.pk != old.pk and new.sha256 != old.sha256 and new.shared
    with protected_storage().open(new.storage_name, "rb") as fh:
        rows = list(csv.reader(io.StringIO(fh.read().decode())))
    assert rows == [
        ["Subject", "Filename", "OnsetF", "OffsetF", "Emotion"],
        ["02", "s2_ne_01", "201", "210", "negative"],
    ]
    payload = manifest_payload(entitlement=licence.entitlements.get(user=people["ann"]))
    sheet = next(e for e in payload["files"] if e["path"] == "HS/HS_annotations.csv")
    assert sheet["sha256"] == new.sha256
    stale = next(e for e in payload["withdrawn"] if e["path"] == "HS/HS_annotations.csv")
    assert stale["sha256"] == old.sha256


def test_other_shared_files_are_listed_for_staff_and_in_the_downloaders_attestations(
    client, variant, licence, people, subjects, data_manager
):
    readme = _file(variant, "README.txt")
    _download(client, people["cy"], readme)

    withdraw(subjects["01"], data_manager)

    assert list(subjects["01"].withdrawal.files_to_review.all()) == [readme]
    assert _file(variant, "README.txt") == readme  # still served: Accord cannot redact it
    cy = DeletionAttestation.objects.get(user=people["cy"])
    assert [f.path for f in cy.files.all()] == ["README.txt"]
    client.force_login(data_manager)
    page = client.get(
        reverse("catalog:staff_withdrawal", args=[variant.dataset.slug, "01"])
    ).content.decode()
    assert "upload a redacted replacement" in page and "README.txt" in page


def test_a_sheet_with_the_column_but_none_of_their_rows_is_left_alone(
    dataset, subjects, data_manager, tmp_path
):
    sheet = "Subject,Filename\n02,s2_ne_01\n"
    variant = smic_variant(dataset, tmp_path, {**FILES, "HS/HS_annotations.csv": sheet.encode()})
    before = _file(variant, "HS/HS_annotations.csv")

    withdraw(subjects["01"], data_manager)

    assert _file(variant, "HS/HS_annotations.csv") == before
    assert not subjects["01"].withdrawal.files_to_review.filter(pk=before.pk).exists()


# --- The action: once, audited, custodian-scoped, recent sign-in ------------------------------


def test_withdrawing_twice_withdraws_once(variant, subjects, data_manager, downloads):
    withdraw(subjects["01"], data_manager)
    asked = DeletionAttestation.objects.count()

    withdraw(subjects["01"], data_manager)

    assert DeletionAttestation.objects.count() == asked
    assert VariantRelease.objects.filter(variant=variant).count() == 2
    assert Event.objects.filter(event_type="catalog:subject:withdraw").count() == 1


def test_the_audit_event_records_the_fact_and_counts_but_never_the_reason(
    variant, subjects, data_manager, downloads
):
    withdraw(subjects["01"], data_manager, reason="Ms Example phoned on 3 March")

    event = Event.objects.get(event_type="catalog:subject:withdraw")
    assert "Ms Example" not in event.payload
    assert event.details["code"] == "01"
    assert event.details["releases"] == {"smic": "1.1"}
    assert event.details["files_withdrawn"] == 3  # two frames and the sheet's old copy
    assert event.details["attestations_requested"] == 3
    subjects["01"].refresh_from_db()
    assert subjects["01"].withdrawal_reason == "Ms Example phoned on 3 March"
    release_event = Event.objects.get(event_type="catalog:variant:release")
    assert release_event.details["release"] == "1.1"


def test_staff_withdraw_on_the_page_and_see_who_has_and_has_not_attested(
    client, dataset, variant, subjects, data_manager, downloads, people
):
    from accord.licences.services_closeout import deletion_attestation_confirm

    client.force_login(data_manager)
    response = client.post(
        reverse("catalog:staff_subject_withdraw", args=[dataset.slug]),
        {"subject": "01", "reason": "Email of 3 March", "withdrawn_on": ""},
    )
    url = reverse("catalog:staff_withdrawal", args=[dataset.slug, "01"])
    assert response.status_code == 302 and response["Location"] == url
    ann = DeletionAttestation.objects.get(user=people["ann"])
    deletion_attestation_confirm(attestation=ann, actor=people["ann"], statement="Deleted.")

    page = client.get(url).content.decode()
    assert "1 of 3 confirmed" in page
    assert page.count('class="attestation waiting"') == 2
    assert page.count('class="attestation attested"') == 1
    assert "Email of 3 March" in page and "1.1" in page


def test_another_custodians_staff_cannot_withdraw_or_see_the_withdrawal(
    client, dataset, variant, subjects, data_manager, other_custodian
):
    withdraw(subjects["02"], data_manager)
    other = factories.StaffFactory(custodian=other_custodian, admin=True).user
    client.force_login(other)

    response = client.post(
        reverse("catalog:staff_subject_withdraw", args=[dataset.slug]),
        {"subject": "01", "reason": "x"},
    )
    assert response.status_code == 404
    page = client.get(reverse("catalog:staff_withdrawal", args=[dataset.slug, "02"]))
    assert page.status_code == 404
    subjects["01"].refresh_from_db()
    assert subjects["01"].status == Subject.Status.ACTIVE


def test_a_reviewer_cannot_withdraw(client, dataset, subjects, staff):
    client.force_login(staff)
    response = client.post(
        reverse("catalog:staff_subject_withdraw", args=[dataset.slug]),
        {"subject": "01", "reason": "x"},
    )
    assert response.status_code == 404
    subjects["01"].refresh_from_db()
    assert subjects["01"].status == Subject.Status.ACTIVE


def test_withdrawing_without_a_recent_sign_in_asks_to_reauthenticate(
    client, dataset, variant, subjects, data_manager, settings
):
    client.force_login(data_manager)
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60
    session["account_authentication_methods"] = records
    session.save()

    response = client.post(
        reverse("catalog:staff_subject_withdraw", args=[dataset.slug]),
        {"subject": "01", "reason": "x"},
    )

    assert response.status_code == 302
    assert "/reauthenticate/" in response["Location"] or "/2fa/" in response["Location"]
    assert not VariantRelease.objects.filter(reason="withdrawal").exists()
    assert _file(variant, ONE_A).subject.status == Subject.Status.ACTIVE


def test_withdrawal_attestations_get_the_schedulers_reminders(
    variant, subjects, data_manager, downloads, clock, django_capture_on_commit_callbacks
):
    withdraw(subjects["01"], data_manager)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sent = step_attestation_reminders(now=clock.now() + dt.timedelta(days=24))

    assert sent == 3 and len(mail.outbox) == 3


# --- The demo catalogue ------------------------------------------------------------------------


def test_every_demo_file_has_its_subject_or_is_shared(db, tmp_path, settings):
    from django.core.management import call_command

    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # accord demo refuses to run on a production portal
    call_command("demo")

    files = DataFile.objects.filter(variant__dataset__slug__in=["smic", "casmemg"])
    assert files.exists()
    assert not files.filter(subject__isnull=True, shared=False).exists()
    frame = files.filter(variant__slug="smic", path__startswith="HS/s20/").first()
    assert frame.subject.code == "20"
    assert files.get(variant__slug="smic", path="HS/HS_annotations.csv").shared
    emg = files.filter(variant__slug="casmemg", path__startswith="emg/sub07/").first()
    assert emg.subject.code == "07"
    assert files.get(variant__slug="casmemg", path="README.txt").shared


def test_the_person_asked_sees_a_withdrawal_not_an_ended_licence_and_attests(
    client, variant, licence, people, subjects, data_manager, downloads
):
    withdraw(subjects["01"], data_manager)
    attestation = DeletionAttestation.objects.get(user=people["ann"])
    url = reverse("agreements:deletion_attestation", args=[attestation.pk])
    client.force_login(people["ann"])

    page = client.get(url).content.decode()
    assert "withdrawn their consent" in page and "has ended" not in page
    assert ONE_A in page and ONE_B not in page
    client.post(url, {"statement": "Deleted from my laptop.", "confirm": "1"})
    attestation.refresh_from_db()
    assert attestation.attested_at is not None


def test_a_reingest_of_the_old_folder_brings_back_neither_their_files_nor_their_rows(
    variant, subjects, data_manager, tmp_path
):
    from accord.catalog.services import variant_ingest

    withdraw(subjects["01"], data_manager)
    redacted = _file(variant, "HS/HS_annotations.csv")

    report = variant_ingest(variant=variant, folder=tmp_path / f"ingest-{variant.slug}", prune=True)

    skipped = dict(report.skipped)
    assert skipped[ONE_A] == "its subject withdrew consent: not ingested"
    assert "01, who withdrew consent" in skipped["HS/HS_annotations.csv"]
    assert not variant.files.filter(path=ONE_A, retired_at__isnull=True).exists()
    assert _file(variant, "HS/HS_annotations.csv") == redacted
    assert "HS/HS_annotations.csv" not in report.removed + report.missing


def test_the_withdrawal_page_costs_the_same_queries_however_many_people_were_asked(
    client, dataset, variant, subjects, data_manager, downloads
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    withdraw(subjects["01"], data_manager)  # Ann, Bo and the signer
    withdraw(subjects["02"], data_manager)  # Cy and the signer
    client.force_login(data_manager)
    counts = []
    for code in ("01", "02"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("catalog:staff_withdrawal", args=[dataset.slug, code]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert DeletionAttestation.objects.filter(withdrawals__subject__code="01").count() == 3
    assert DeletionAttestation.objects.filter(withdrawals__subject__code="02").count() == 2
    assert counts[0] == counts[1]


def test_accord_fetch_reads_the_new_manifest_and_says_the_local_copy_must_go(
    variant, licence, people, subjects, data_manager, tmp_path
):
    """The contract with the client: what the portal signs after a withdrawal makes
    ``accord fetch`` report the local copy of a withdrawn file as one to delete."""
    from accord.client.fetch import find_stale

    local = tmp_path / "my-copy"
    for path in (ONE_A, TWO):
        (local / path).parent.mkdir(parents=True, exist_ok=True)
        (local / path).write_bytes(FILES[path])
    withdraw(subjects["01"], data_manager)

    manifest = manifest_payload(entitlement=licence.entitlements.get(user=people["ann"]))
    (stale,) = find_stale(local, manifest)
    assert stale.path == ONE_A and stale.must_delete
    assert "consent withdrawn on" in stale.describe(manifest["variant"]["release"])
