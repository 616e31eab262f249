"""A signer's script does through the API what the terms and renewal pages do for datasets that
want an agreement signed: GET the pre-filled agreement, POST the signed scan (multipart). The
upload goes through the same intake as the pages; a refused scan is a problem saying why and
changes nothing; members and outsiders are refused as on the pages (404: not theirs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.agreements import licence_agreement
from accord.agreements.pdf.generate import build_agreement
from accord.audit.models import Event
from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.core import clock as accord_clock
from accord.licences.models import Licence, TermsChange
from accord.licences.services_terms import terms_publish
from tests import factories
from tests.access.factories import licence_for
from tests.agreements import pdf_corpus
from tests.downloads import conftest as downloads
from tests.roles import bearer

pytestmark = pytest.mark.django_db
variant = downloads.variant
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def terms_pending(clock, variant, custodian, signing_key_file):
    """A licence (with a member) of a dataset that accepts new terms only signed, v2 pending."""
    dataset = variant.dataset
    dataset.terms_acceptance = "signed"
    dataset.save()
    factories.ClauseFactory(
        license_version=factories.LicenseVersionFactory(dataset=dataset), code="C1"
    )
    licence = licence_for(variants=[variant], members=[factories.UserFactory()])
    admin = factories.StaffFactory(custodian=custodian, role="admin").user
    version = licence_version_draft(
        dataset=dataset,
        actor=admin,
        title="Licence agreement",
        effective_date=accord_clock.localdate() + dt.timedelta(days=dataset.notice_days),
        clauses=[
            ClauseText("C1", "No redistribution", "Do not share the data."),
            ClauseText("C2", "Papers", "Send every paper before you submit it."),
        ],
    )
    terms_publish(version=version, actor=admin)
    return licence, version


@pytest.fixture
def expiring(clock, variant, signing_key_file):
    """A licence expiring in 10 days, of a dataset that renews only with a signed agreement."""
    dataset = variant.dataset
    dataset.licence_term_days = 365
    dataset.renewal_requires_signed_agreement = True
    dataset.save()
    factories.ClauseFactory(
        license_version=factories.LicenseVersionFactory(dataset=dataset), code="C1"
    )
    return licence_for(
        variants=[variant],
        members=[factories.UserFactory()],
        expires_at=clock.now() + dt.timedelta(days=10),
    )


def _stored(settings) -> list[Path]:
    root = Path(settings.PROTECTED_ROOT) / "agreements"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _get_pdf(client, licence, what: str, user=None):
    return client.get(
        f"/api/v1/licences/{licence.reference}/{what}/agreement.pdf",
        **bearer(user or licence.signer),
    )


def _post_scan(client, licence, what: str, data: bytes, user=None, **fields):
    return client.post(
        f"/api/v1/licences/{licence.reference}/{what}/signed-agreement",
        {"file": SimpleUploadedFile("scan.pdf", data, "application/pdf"), **fields},
        **bearer(user or licence.signer),
    )


def _signed_terms(licence, version, pdf: bytes) -> bytes:
    regions = build_agreement(
        licence_agreement.pdf_data(licence_agreement.terms_agreement(licence, version))
    ).regions
    return pdf_corpus.signed_by_hand(pdf, regions, tick=("C1", "C2"))


def _signed_renewal(licence, pdf: bytes) -> bytes:
    document = licence_agreement.renewal_agreement(licence, licence.dataset.current_license())
    regions = build_agreement(licence_agreement.pdf_data(document)).regions
    return pdf_corpus.signed_by_hand(pdf, regions, tick=("C1",))


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_signer_accepts_new_terms_with_a_signed_agreement_through_the_api(client, terms_pending):
    licence, version = terms_pending
    pdf = _get_pdf(client, licence, "terms")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    response = _post_scan(client, licence, "terms", _signed_terms(licence, version, pdf.content))

    assert response.status_code == 200, response.content
    assert response.json()["license_version"] == version.version
    assert response.json()["pending_terms"] is None
    assert TermsChange.objects.get(licence=licence).status == "accepted"
    assert Event.objects.filter(
        event_type="agreements:licence:terms_accept", licence_id=licence.pk
    ).exists()


def test_unsigned_terms_agreement_is_a_problem_with_the_reason_and_changes_nothing(
    client, terms_pending, settings
):
    licence, version = terms_pending
    original = _get_pdf(client, licence, "terms").content

    problem = _is_problem(_post_scan(client, licence, "terms", original), 422)

    assert "sign" in problem["detail"]
    licence.refresh_from_db()
    assert licence.license_version.version == version.version - 1
    assert TermsChange.objects.get(licence=licence).status == "pending"
    assert _stored(settings) == []


def test_members_and_outsiders_cannot_get_or_upload_the_terms_agreement(client, terms_pending):
    licence, version = terms_pending
    scan = _signed_terms(licence, version, _get_pdf(client, licence, "terms").content)
    member = licence.members.get().user
    for user in (member, factories.UserFactory()):
        _is_problem(_get_pdf(client, licence, "terms", user=user), 404)
        _is_problem(_post_scan(client, licence, "terms", scan, user=user), 404)
    assert TermsChange.objects.get(licence=licence).status == "pending"


def test_terms_agreement_with_nothing_pending_is_a_conflict(client, variant):
    licence = licence_for(variants=[variant])

    problem = _is_problem(_get_pdf(client, licence, "terms"), 409)

    assert problem["type"].endswith("/no-terms-change")


def test_signer_renews_with_a_signed_agreement_through_the_api(client, clock, expiring):
    before = expiring.expires_at
    pdf = _get_pdf(client, expiring, "renewal")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    response = _post_scan(
        client, expiring, "renewal", _signed_renewal(expiring, pdf.content), details_confirmed=True
    )

    assert response.status_code == 200, response.content
    expiring.refresh_from_db()
    assert expiring.status == Licence.Status.ACTIVE
    assert expiring.expires_at == before + dt.timedelta(days=365)
    assert Event.objects.filter(event_type="agreements:licence:renew").exists()


def test_renewal_without_confirmed_details_is_refused_and_changes_nothing(client, expiring):
    before = expiring.expires_at
    scan = _signed_renewal(expiring, _get_pdf(client, expiring, "renewal").content)

    problem = _is_problem(
        _post_scan(client, expiring, "renewal", scan, details_confirmed=False), 400
    )

    assert problem["field"] == "details_confirmed"
    expiring.refresh_from_db()
    assert expiring.expires_at == before


def test_unsigned_renewal_agreement_is_a_problem_with_the_reason_and_changes_nothing(
    client, expiring, settings
):
    before = expiring.expires_at
    original = _get_pdf(client, expiring, "renewal").content

    problem = _is_problem(
        _post_scan(client, expiring, "renewal", original, details_confirmed=True), 422
    )

    assert "sign" in problem["detail"]
    expiring.refresh_from_db()
    assert expiring.expires_at == before
    assert not Event.objects.filter(event_type="agreements:licence:renew").exists()
    assert _stored(settings) == []


def test_members_and_outsiders_cannot_get_or_upload_the_renewal_agreement(client, expiring):
    scan = _signed_renewal(expiring, _get_pdf(client, expiring, "renewal").content)
    before = expiring.expires_at
    member = expiring.members.get().user
    for user in (member, factories.UserFactory()):
        _is_problem(_get_pdf(client, expiring, "renewal", user=user), 404)
        _is_problem(
            _post_scan(client, expiring, "renewal", scan, user=user, details_confirmed=True), 404
        )
    expiring.refresh_from_db()
    assert expiring.expires_at == before


def test_renewal_agreement_too_early_is_a_conflict(client, clock, variant):
    variant.dataset.licence_term_days = 365
    variant.dataset.save()
    licence = licence_for(variants=[variant], expires_at=clock.now() + dt.timedelta(days=200))

    problem = _is_problem(_get_pdf(client, licence, "renewal"), 409)

    assert problem["type"].endswith("/renewal-not-open")
