"""An agreement received by email attests nothing on the signer's behalf: the intake records
what staff read off the document, a reviewer records every clause and answer as the signed
document shows it, and approval waits for that and then for the same eligibility rules as the
web form (the SMIC signer who answered "fixed position: No" is never approvable)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.agreements import intake, services
from accord.agreements.demo import load_demo_agreements
from accord.agreements.models import Application
from accord.audit.models import Event
from accord.core.errors import Conflict
from accord.licences.models import Licence
from tests import factories
from tests.agreements import pdf_corpus
from tests.agreements.factories import signer_confirms

pytestmark = pytest.mark.django_db

FIXED_POSITION = "answer:position_fixed"


@pytest.fixture
def smic(other_custodian):
    """SMIC as the demo sets it up: attested clauses, and the required "the signer holds a
    fixed (permanent) position" and "we will send papers" questions."""
    dataset = factories.DatasetFactory(
        custodian=other_custodian, slug="smic", short_name="SMIC", name="SMIC database"
    )
    factories.VariantFactory(dataset=dataset, slug="smic-hs", name="SMIC-HS")
    version = factories.LicenseVersionFactory(dataset=dataset, title="SMIC Licence Agreement")
    factories.ClauseFactory(license_version=version, code="S1", title="No commercial use")
    factories.ClauseFactory(license_version=version, code="S5", title="Scientific research only")
    load_demo_agreements()
    return dataset


def _eml() -> bytes:
    """The signer's email with the custodian's own paper form, filled in and signed (no
    Accord QR code on it)."""
    message = EmailMessage()
    message["From"] = "Prof. Ada <prof.ada@uni-example.edu>"
    message["To"] = "smic@oulu.example"
    message["Subject"] = "Signed SMIC licence agreement"
    message.set_content("Attached the signed agreement.")
    message.add_attachment(
        pdf_corpus.plain_pdf(2, "SMIC agreement - fixed position: No"),
        maintype="application",
        subtype="pdf",
        filename="SMIC License Agreement.pdf",
    )
    return message.as_bytes()


@pytest.fixture
def received(client, smic, ipcas_reviewer, professor):
    """An SMIC application created by staff from the emailed agreement, the signer having
    confirmed by the emailed link."""
    client.force_login(ipcas_reviewer)
    response = client.post(
        reverse("agreements:review_intake"),
        {
            "dataset": smic.pk,
            "file": SimpleUploadedFile("mail.eml", _eml()),
            "signer_title": "Professor",
            "signer_affiliation": "University of Example",
            "signer_address": "1 Campus Road, Example City",
            "purpose": "Micro-expression recognition research.",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    application = Application.objects.get(origin=Application.Origin.EMAIL)
    signer_confirms(application, professor, asked_by=ipcas_reviewer)
    return application


def record(client, application, key: str, value: str = ""):
    return client.post(
        reverse("agreements:review_intake_record", args=[application.reference]),
        {"key": key, "value": value},
        follow=True,
    )


def record_the_document(client, application, *, fixed_position: str) -> None:
    for key, value in (
        ("clause:S1", ""),
        ("clause:S5", ""),
        (FIXED_POSITION, fixed_position),
        ("answer:send_publications", "yes"),
        ("field:organisation_type", "university"),
    ):
        response = record(client, application, key, value)
        assert "Recorded from the signed document." in response.content.decode(), key


def test_the_intake_attests_nothing_and_answers_nothing_for_the_signer(client, received):
    assert received.attested_clauses == [] and received.answers == {}
    keys = [item.key for item in intake.unconfirmed_items(received)]
    assert keys == [
        "clause:S1",
        "clause:S5",
        FIXED_POSITION,
        "answer:send_publications",
        "field:organisation_type",
    ]
    page = client.get(reverse("agreements:review_detail", args=[received.reference]))
    html = page.content.decode()
    assert "To record from the signed document" in html
    for key in keys:
        assert f'data-key="{key}"' in html  # each with its control
    assert "The document says no" in html and "The document shows this clause attested" in html
    assert "Approval waits for 5 items to be recorded" in html


def test_approval_waits_until_every_item_is_recorded(received, ipcas_reviewer):
    with pytest.raises(Conflict, match="5 item\\(s\\) of the emailed agreement are not recorded"):
        services.application_decide(decision="approve", application=received, actor=ipcas_reviewer)
    assert not Licence.objects.exists()


def test_smic_signer_without_a_fixed_position_is_never_approvable(client, received, ipcas_reviewer):
    record_the_document(client, received, fixed_position="no")
    received.refresh_from_db()
    assert received.answers["position_fixed"] is False
    assert intake.unconfirmed_items(received) == []
    with pytest.raises(Conflict) as refused:
        services.application_decide(decision="approve", application=received, actor=ipcas_reviewer)
    assert refused.value.code == "not-eligible"
    assert "The signer holds a fixed (permanent) position" in refused.value.message
    assert "Return it for changes or reject it" in refused.value.message
    # The reviewer is told on the page, and the approve button gets the same refusal.
    page = client.get(reverse("agreements:review_detail", args=[received.reference]))
    assert 'id="not-eligible"' in page.content.decode()
    response = client.post(
        reverse("agreements:review_approve", args=[received.reference]), follow=True
    )
    assert "cannot be approved: it does not meet the requirements" in response.content.decode()
    api = client.post(f"/api/v1/review/applications/{received.reference}/approve")
    assert api.status_code == 409 and api.json()["type"].endswith("/not-eligible")
    received.refresh_from_db()
    assert received.state == "submitted" and not Licence.objects.exists()


def test_with_the_document_recorded_as_eligible_it_is_approved(client, received, ipcas_reviewer):
    record_the_document(client, received, fixed_position="yes")
    services.application_decide(decision="approve", application=received, actor=ipcas_reviewer)
    received.refresh_from_db()
    assert received.state == "approved" and Licence.objects.filter(application=received).exists()
    assert set(received.attested_clauses) == {"S1", "S5"}


def test_each_recording_is_audited_with_who_recorded_what(client, received, ipcas_reviewer):
    record(client, received, FIXED_POSITION, "no")
    event = Event.objects.get(event_type="agreements:application:intake-record")
    assert (event.details["item"], event.details["value"]) == (FIXED_POSITION, "no")
    received.refresh_from_db()
    (entry,) = received.intake["recorded"]
    assert (entry["item"], entry["value"], entry["by"]) == (
        FIXED_POSITION,
        "no",
        ipcas_reviewer.email,
    )


def test_another_custodians_staff_cannot_record(client, received, staff):
    client.force_login(staff)  # CMVS staff; SMIC here belongs to IP-CAS
    response = client.post(
        reverse("agreements:review_intake_record", args=[received.reference]),
        {"key": FIXED_POSITION, "value": "yes"},
    )
    assert response.status_code == 404
    received.refresh_from_db()
    assert "position_fixed" not in received.answers


def test_a_recorded_answer_is_not_recorded_again_and_bad_values_are_refused(client, received):
    page = record(client, received, FIXED_POSITION, "maybe").content.decode()
    assert "Say whether the document answers yes or no." in page
    record(client, received, FIXED_POSITION, "yes")
    page = record(client, received, FIXED_POSITION, "no").content.decode()
    assert "already recorded" in page
    received.refresh_from_db()
    assert received.answers["position_fixed"] is True


def test_web_applications_have_nothing_to_record(student, casmemg):
    from tests.agreements.factories import submitted

    assert intake.unconfirmed_items(submitted(student, casmemg)) == []
