"""The applicant's path through the web pages and services: draft, checks, the agreement PDF,
the signed scan, submission and the signer's confirmation."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accord.agreements import services
from accord.agreements.content import Details, InvalidApplication
from accord.agreements.models import Application
from accord.audit.models import Event
from accord.core.errors import Conflict, NotAllowed
from tests import factories
from tests.agreements.factories import draft, submitted, with_scan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_dataset_page_apply_button_starts_an_application(client, casmemg):
    page = client.get(reverse("catalog:dataset_detail", args=[casmemg.slug]))
    assert reverse("agreements:application_start", args=[casmemg.slug]).encode() in page.content


def test_draft_saved_from_the_web_form_keeps_the_terms_version(client, student, casmemg):
    client.force_login(student)
    url = reverse("agreements:application_start", args=[casmemg.slug])
    page = client.get(url)
    assert b"Registration ID" in page.content and b"C1" in page.content
    response = client.post(
        url,
        {
            "signer_name": "Ada Lovelace",
            "signer_email": "prof.ada@uni-example.edu",
            "purpose": "Research",
            "attest_C1": "on",
            "member-0-full_name": "Sam Student",
            "member-0-email": "sam@uni-example.edu",
            "member-0-registration_id": "REG-1",
        },
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "agreements:application_detail", args=[application.reference]
    )
    assert application.state == "draft"
    assert application.license_version == casmemg.current_license()
    assert application.attested_clauses == ["C1"]
    assert application.members == [
        {
            "full_name": "Sam Student",
            "email": "sam@uni-example.edu",
            "extra": {"registration_id": "REG-1"},
        }
    ]
    page = client.get(response["Location"])
    assert b"Attest clause C3" in page.content  # still missing: listed, not refused
    assert b"Download the agreement to sign" not in page.content


def test_free_mail_signer_is_refused_with_the_reason(client, student, casmemg):
    client.force_login(student)
    response = client.post(
        reverse("agreements:application_start", args=[casmemg.slug]),
        {"signer_email": "prof@gmail.com"},
        follow=True,
    )
    assert not Application.objects.exists()
    assert b"gmail.com is a free personal email provider" in response.content


def test_member_with_bad_email_and_unknown_variant_are_refused_together(student, casmemg):
    details = Details(
        variants=["not-a-variant"],
        members=[{"full_name": "X", "email": "not-an-email", "extra": {}}],
    )
    with pytest.raises(InvalidApplication) as caught:
        services.application_create(actor=student, dataset=casmemg, details=details)
    assert set(caught.value.errors) == {"variants", "members.1.email"}
    assert "not-a-variant is not a variant" in caught.value.message


def test_agreement_pdf_is_offered_only_when_complete(client, student, casmemg):
    client.force_login(student)
    application = draft(student, casmemg)
    application.purpose = ""
    application.save()
    url = reverse("agreements:application_pdf", args=[application.reference])
    response = client.get(url, follow=True)
    assert b"Describe the research purpose." in response.content
    application.purpose = "Research"
    application.save()
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]


def test_submit_without_signed_scan_says_what_is_missing(client, student, casmemg):
    client.force_login(student)
    application = draft(student, casmemg)
    response = client.post(
        reverse("agreements:application_submit", args=[application.reference]), follow=True
    )
    assert b"Upload the signed agreement" in response.content
    application.refresh_from_db()
    assert application.state == "draft"


def test_upload_stores_content_addressed_under_the_naming_rule(client, student, casmemg):
    application = with_scan(draft(student, casmemg), student)
    agreement = application.current_agreement()
    assert agreement.qr_status == "match"
    assert agreement.display_name == "License Agreement for CASMEMG _Ada Lovelace.pdf"
    assert (
        agreement.storage_name
        == f"agreements/{agreement.sha256[:2]}/{agreement.sha256}/agreement.pdf"
    )
    assert len(agreement.page_storage_names) == agreement.pages >= 1


def test_student_submission_asks_the_signer_to_confirm_and_copies_them(
    student, casmemg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(student, casmemg)
    assert application.state == "submitted"
    assert not application.signer_confirmed
    assert application.signer_token_hash and len(application.signer_token_hash) == 64
    subjects = {m.subject: m for m in mail.outbox}
    notice = next(m for s, m in subjects.items() if "submitted" in s)
    assert notice.to == [student.email] and notice.cc == ["prof.ada@uni-example.edu"]
    request = next(m for s, m in subjects.items() if "confirm" in s)
    assert request.to == ["prof.ada@uni-example.edu"]
    assert "/apply/confirm/" in request.body
    custodian = next(m for s, m in subjects.items() if "to review" in s)
    assert custodian.to == [casmemg.custodian.contact_email]
    assert f"/apply/review/{application.reference}/" in custodian.body
    raw = request.body.split("/apply/confirm/")[1].split("/")[0]
    assert raw not in application.signer_token_hash  # only the hash is stored


def _link_token(outbox) -> str:
    body = next(m.body for m in outbox if "/apply/confirm/" in m.body)
    return body.split("/apply/confirm/")[1].split("/")[0]


def test_signer_confirms_through_the_emailed_link(
    client, student, professor, casmemg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(student, casmemg)
    token = _link_token(mail.outbox)
    client.force_login(professor)
    url = reverse("agreements:signer_confirm", args=[token])
    assert b"I signed this agreement" in client.get(url).content
    response = client.post(url)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.signer_confirmed and application.signer_user == professor
    assert Event.objects.filter(event_type="agreements:application:signer-confirm").exists()
    # single use
    assert client.get(url).status_code == 404


def test_someone_else_cannot_confirm_as_signer(
    student, casmemg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted(student, casmemg)
    intruder = factories.UserFactory(email="mallory@uni-example.edu")
    with pytest.raises(NotAllowed, match="for someone else") as refused:
        services.signer_confirm(raw_token=_link_token(mail.outbox), actor=intruder)
    assert "prof.ada@uni-example.edu" not in refused.value.message


def test_expired_link_is_refused_with_what_to_do(
    student, professor, casmemg, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(student, casmemg)
    Application.objects.filter(pk=application.pk).update(
        signer_token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(Exception, match="Ask the applicant to send a new link"):
        services.signer_confirm(raw_token=_link_token(mail.outbox), actor=professor)


def test_applicant_who_is_the_signer_is_confirmed_on_submission(
    professor, casmemg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(professor, casmemg, members=[])
    assert application.signer_confirmed and application.signer_user == professor
    assert not any("/apply/confirm/" in m.body for m in mail.outbox)


def test_submitted_application_can_no_longer_be_edited(student, casmemg):
    application = submitted(student, casmemg)
    with pytest.raises(Conflict, match="can no longer be changed"):
        services.application_update(
            application=application, actor=student, details=Details(purpose="other")
        )


def test_another_user_cannot_see_an_application(client, student, casmemg, outsider):
    application = draft(student, casmemg)
    client.force_login(outsider)
    for name in ("application_detail", "application_pdf"):
        assert (
            client.get(reverse(f"agreements:{name}", args=[application.reference])).status_code
            == 404
        )
    response = client.post(reverse("agreements:application_submit", args=[application.reference]))
    assert response.status_code == 404


def test_applicant_sends_a_new_link_and_the_old_one_stops_working(
    client, student, professor, casmemg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(student, casmemg)
    old = _link_token(mail.outbox)
    mail.outbox.clear()
    client.force_login(student)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("agreements:signer_link_resend", args=[application.reference]))
    new = _link_token(mail.outbox)
    assert new != old
    with pytest.raises(Exception, match="not valid any more"):
        services.signer_confirm(raw_token=old, actor=professor)
    services.signer_confirm(raw_token=new, actor=professor)


def test_application_keeps_its_terms_version_when_new_terms_are_published(student, casmemg):
    from accord.agreements.documents import pdf_data

    application = draft(student, casmemg)
    v1 = application.license_version
    v2 = factories.LicenseVersionFactory(dataset=casmemg, version=2, title="CASMEMG LA v2")
    factories.ClauseFactory(license_version=v2, code="C9", title="A new clause")
    assert casmemg.current_license() == v2
    services.application_update(
        application=application, actor=student, details=Details(purpose="Still v1")
    )
    application.refresh_from_db()
    assert application.license_version == v1
    data = pdf_data(application)
    assert (data.license_version, [c[0] for c in data.clauses]) == (1, ["C1", "C3"])
    with pytest.raises(InvalidApplication, match="C9 is not a clause"):
        services.application_update(
            application=application, actor=student, details=Details(attested_clauses=["C9"])
        )
