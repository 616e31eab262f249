"""Where a dataset renews only with a newly signed agreement, the click-through renewal is
refused and the signer renews by uploading the agreement for the current terms, signed: taken
in through the same hostile-file checks as an application's agreement, stored, and the renewal
audited with the file's hash. The original unsigned, or the agreement of another licence, is
refused and leaves nothing stored."""

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
from accord.core.errors import Conflict
from accord.licences.expiry import licence_renew
from accord.licences.models import Licence
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
def expiring(clock, variant, signing_key_file):
    """Two licences expiring in 10 days, of a dataset that renews only with a signed agreement."""
    dataset = variant.dataset
    dataset.licence_term_days = 365
    dataset.renewal_requires_signed_agreement = True
    dataset.save()
    factories.ClauseFactory(
        license_version=factories.LicenseVersionFactory(dataset=dataset), code="C1"
    )
    expires = clock.now() + dt.timedelta(days=10)
    ours = licence_for(variants=[variant], expires_at=expires)
    theirs = licence_for(variants=[variant], expires_at=expires)
    return ours, theirs


def stored_agreements(settings) -> list[Path]:
    root = Path(settings.PROTECTED_ROOT) / "agreements"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _download(client, licence) -> bytes:
    client.force_login(licence.signer)
    url = reverse("agreements:licence_renew", args=[licence.reference])
    response = client.get(url, {"agreement": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def _signed(licence, pdf: bytes) -> bytes:
    document = licence_agreement.renewal_agreement(licence, licence.dataset.current_license())
    regions = build_agreement(licence_agreement.pdf_data(document)).regions
    return pdf_corpus.signed_by_hand(pdf, regions, tick=("C1",))


def _upload(client, licence, data: bytes):
    client.force_login(licence.signer)
    return client.post(
        reverse("agreements:licence_renew", args=[licence.reference]),
        {
            "details_confirmed": "on",
            "agreement": SimpleUploadedFile("scan.pdf", data, "application/pdf"),
        },
        follow=True,
    )


def test_click_through_renewal_is_refused_where_a_signed_agreement_is_required(client, expiring):
    ours, _theirs = expiring
    before = ours.expires_at
    with pytest.raises(Conflict, match="download the agreement for the current terms"):
        licence_renew(licence=ours, actor=ours.signer, details_confirmed=True, terms_accepted=True)
    client.force_login(ours.signer)
    page = client.get(reverse("agreements:licence_renew", args=[ours.reference])).content.decode()
    assert "Download the agreement to sign" in page and "apply for the dataset again" not in page
    ours.refresh_from_db()
    assert ours.expires_at == before


def test_the_signed_renewal_agreement_renews_the_licence_and_is_stored(
    client, clock, expiring, settings
):
    ours, _theirs = expiring
    before = ours.expires_at
    scan = _signed(ours, _download(client, ours))

    response = _upload(client, ours, scan)

    assert "is renewed until" in response.content.decode()
    ours.refresh_from_db()
    assert ours.status == Licence.Status.ACTIVE
    assert ours.expires_at == before + dt.timedelta(days=365)
    event = Event.objects.get(event_type="agreements:licence:renew", licence_id=ours.pk)
    assert event.details["agreement_sha256"] == hashlib.sha256(scan).hexdigest()
    assert (Path(settings.PROTECTED_ROOT) / event.details["agreement_file"]).read_bytes() == scan


def test_the_unsigned_original_or_another_licences_agreement_does_not_renew_and_nothing_stored(
    client, expiring, settings
):
    ours, theirs = expiring
    before = ours.expires_at
    original = _download(client, ours)
    other = _signed(theirs, _download(client, theirs))

    unsigned = _upload(client, ours, original).content.decode()
    assert "not signed" in unsigned or "Nothing is written where the signer signs" in unsigned
    wrong = _upload(client, ours, other).content.decode()
    assert f"not the renewal agreement of licence {ours.reference}" in wrong

    ours.refresh_from_db()
    assert ours.expires_at == before
    assert not Event.objects.filter(event_type="agreements:licence:renew").exists()
    assert stored_agreements(settings) == []
