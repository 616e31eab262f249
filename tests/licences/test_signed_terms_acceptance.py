"""Where a dataset wants new terms signed, a click-through is refused and the signer accepts by
uploading the agreement for the new terms, signed: generated pre-filled on the terms page, taken
in through the same hostile-file checks as an application's agreement, stored, and the
acceptance audited with the file's hash. The original unsigned, or another document, is refused
and leaves nothing stored."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.agreements import licence_agreement
from accord.agreements.pdf.generate import build_agreement
from accord.audit.models import Event
from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.core import clock as accord_clock
from accord.core.errors import Conflict
from accord.licences.models import TermsChange
from accord.licences.services_terms import terms_change_accept, terms_publish
from tests import factories
from tests.access.factories import licence_for
from tests.agreements import pdf_corpus
from tests.downloads import conftest as downloads

pytestmark = pytest.mark.django_db
variant = downloads.variant
signing_key_file = downloads.signing_key_file


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def pending(clock, variant, custodian, signing_key_file):
    """Two licences of a dataset that accepts new terms only signed, with version 2 pending."""
    dataset = variant.dataset
    dataset.terms_acceptance = "signed"
    dataset.save()
    factories.ClauseFactory(
        license_version=factories.LicenseVersionFactory(dataset=dataset), code="C1"
    )
    ours = licence_for(variants=[variant], signer=factories.UserFactory(full_name="Ada Signer"))
    theirs = licence_for(variants=[variant], signer=factories.UserFactory(full_name="Ben Signer"))
    admin = factories.StaffFactory(custodian=custodian, role="admin").user
    version = licence_version_draft(
        dataset=dataset,
        actor=admin,
        title="Licence agreement",
        effective_date=accord_clock.localdate() + dt.timedelta(days=dataset.notice_days),
        change_summary="Papers must now be sent before submission.",
        clauses=[
            ClauseText("C1", "No redistribution", "Do not share the data."),
            ClauseText("C2", "Papers", "Send every paper before you submit it."),
        ],
    )
    terms_publish(version=version, actor=admin)
    return ours, theirs, version


def stored_agreements(settings) -> list[Path]:
    root = Path(settings.PROTECTED_ROOT) / "agreements"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _download(client, licence) -> bytes:
    client.force_login(licence.signer)
    response = client.get(
        reverse("agreements:licence_terms", args=[licence.reference]), {"agreement": "pdf"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def _signed(licence, version, pdf: bytes) -> bytes:
    document = licence_agreement.terms_agreement(licence, version)
    regions = build_agreement(licence_agreement.pdf_data(document)).regions
    return pdf_corpus.signed_by_hand(pdf, regions, tick=("C1", "C2"))


def _upload(client, licence, data: bytes):
    client.force_login(licence.signer)
    return client.post(
        reverse("agreements:licence_terms", args=[licence.reference]),
        {"action": "upload", "agreement": SimpleUploadedFile("scan.pdf", data, "application/pdf")},
        follow=True,
    )


def test_click_through_is_refused_where_the_dataset_wants_new_terms_signed(client, pending):
    ours, _theirs, version = pending
    with pytest.raises(Conflict, match="download the agreement for the new terms"):
        terms_change_accept(licence=ours, actor=ours.signer)

    client.force_login(ours.signer)
    url = reverse("agreements:licence_terms", args=[ours.reference])
    page = client.get(url).content.decode()
    assert "Download the agreement to sign" in page and 'id="accept"' not in page
    response = client.post(url, {"action": "accept", "agree": "1"}, follow=True)
    assert "have it signed, and upload the signed scan" in response.content.decode()
    ours.refresh_from_db()
    assert ours.license_version.version == version.version - 1
    assert TermsChange.objects.get(licence=ours).status == "pending"


def test_the_signed_agreement_for_the_new_terms_accepts_them_and_is_stored(
    client, pending, settings
):
    ours, _theirs, version = pending
    scan = _signed(ours, version, _download(client, ours))

    response = _upload(client, ours, scan)

    assert "you accepted the new terms" in response.content.decode()
    ours.refresh_from_db()
    assert ours.license_version == version
    assert TermsChange.objects.get(licence=ours).status == "accepted"
    event = Event.objects.get(event_type="agreements:licence:terms_accept", licence_id=ours.pk)
    sha256 = hashlib.sha256(scan).hexdigest()
    assert event.details["agreement_sha256"] == sha256
    stored = Path(settings.PROTECTED_ROOT) / event.details["agreement_file"]
    assert stored.read_bytes() == scan


def test_the_unsigned_original_or_another_licences_agreement_is_refused_and_nothing_stored(
    client, pending, settings
):
    ours, theirs, version = pending
    original = _download(client, ours)
    other = _signed(theirs, version, _download(client, theirs))

    unsigned = _upload(client, ours, original).content.decode()
    assert "not signed" in unsigned or "Nothing is written where the signer signs" in unsigned
    wrong = _upload(client, ours, other).content.decode()
    assert f"not the agreement for the new terms of licence {ours.reference}" in wrong
    assert theirs.reference in wrong

    ours.refresh_from_db()
    assert ours.license_version.version == version.version - 1
    assert TermsChange.objects.get(licence=ours).status == "pending"
    assert not Event.objects.filter(event_type="agreements:licence:terms_accept").exists()
    assert stored_agreements(settings) == []


def test_the_agreement_for_new_terms_carries_the_application_details_and_the_new_version(
    student, professor, casmemg, ipcas_reviewer
):
    from accord.agreements import services
    from accord.licences.models import Licence
    from tests.agreements.factories import signer_confirms, submitted

    application = signer_confirms(submitted(student, casmemg), professor)
    services.application_decide(decision="approve", application=application, actor=ipcas_reviewer)
    licence = Licence.objects.get()
    new = factories.LicenseVersionFactory(
        dataset=licence.dataset, version=licence.license_version.version + 1
    )

    data = licence_agreement.pdf_data(licence_agreement.terms_agreement(licence, new))

    assert data.reference == f"{licence.reference}-T{new.version}"
    assert (data.signer_email, data.signer_affiliation) == (
        application.signer_email,
        application.signer_affiliation,
    )
    assert data.license_version == new.version
    renewal = licence_agreement.renewal_agreement(licence, new)
    assert renewal.reference != data.reference
