"""Custodian review: the queue and its filters, the detail page with server-rendered pages,
the decisions and the one transition table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accord.agreements import services, signed_pdf
from accord.agreements.content import Details
from accord.agreements.documents import agreement_pdf
from accord.agreements.models import Application
from accord.agreements.states import TRANSITIONS
from accord.audit.models import Event
from accord.core.errors import Conflict, DomainError
from accord.licences.models import Licence, LicenceMember
from tests.agreements.factories import scan_of, signer_confirms, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_approval_waits_for_the_signer(student, casmemg, ipcas_reviewer):
    application = submitted(student, casmemg)
    with pytest.raises(Conflict, match="has not confirmed this application yet"):
        services.application_decide(
            decision="approve", application=application, actor=ipcas_reviewer
        )
    assert not Licence.objects.exists()


def test_approval_grants_a_licence_with_the_application_terms_and_members(
    student, professor, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    application = signer_confirms(submitted(student, casmemg), professor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decide(
            decision="approve", application=application, actor=ipcas_reviewer
        )
    licence = Licence.objects.get()
    assert licence.application == application
    assert licence.signer == professor
    assert licence.license_version == application.license_version
    assert list(licence.variants.all()) == list(application.variants.all())
    member = licence.members.get()
    assert (member.email, member.status, member.extra) == (
        "sam@uni-example.edu",
        LicenceMember.Status.INVITED,
        {"registration_id": "REG-0007"},
    )
    assert list(licence.active_members()) == [professor]  # members count once they accept
    approved = next(m for m in mail.outbox if "approved" in m.subject)
    assert approved.to == [student.email] and approved.cc == [professor.email]
    invite = next(m for m in mail.outbox if "invited" in m.subject)
    assert invite.to == ["sam@uni-example.edu"] and invite.cc == [professor.email]
    types = set(Event.objects.values_list("event_type", flat=True))
    assert {"agreements:application:approve", "agreements:licence:grant"} <= types


def test_reject_needs_a_reason_and_sends_it(
    student, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    application = submitted(student, casmemg)
    with pytest.raises(DomainError, match="Give a reason"):
        services.application_decide(
            decision="reject", application=application, actor=ipcas_reviewer, comment=" "
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decide(
            decision="reject",
            application=application,
            actor=ipcas_reviewer,
            comment="Not a research use.",
        )
    application.refresh_from_db()
    assert application.state == "rejected"
    message = next(m for m in mail.outbox if "rejected" in m.subject)
    assert "Not a research use." in message.body and message.cc == ["prof.ada@uni-example.edu"]


def test_returned_application_is_fixed_and_resubmitted(student, casmemg, ipcas_reviewer):
    application = submitted(student, casmemg)
    services.application_decide(
        decision="return",
        application=application,
        actor=ipcas_reviewer,
        comment="Add the postal code.",
    )
    services.application_update(
        application=application,
        actor=student,
        details=Details(signer_address="1 Campus Road\n00100 Example City"),
    )
    application.refresh_from_db()
    signed_pdf.application_upload_agreement(
        application=application, actor=student, data=scan_of(agreement_pdf(application))
    )
    services.application_submit(application=application, actor=student)
    application.refresh_from_db()
    assert application.state == "submitted"
    assert [(t.from_state, t.to_state) for t in application.transitions.all()] == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
    ]
    assert application.signed_agreements.count() == 2
    assert application.signed_agreements.filter(is_current=True).count() == 1


def test_illegal_transition_is_a_clear_conflict(student, casmemg, ipcas_reviewer):
    application = submitted(student, casmemg)
    services.application_decide(
        decision="reject", application=application, actor=ipcas_reviewer, comment="No."
    )
    with pytest.raises(Conflict) as caught:
        services.application_decide(
            decision="return", application=application, actor=ipcas_reviewer, comment="x"
        )
    assert caught.value.message.startswith(
        f"Application {application.reference} is rejected, so it cannot be returned for changes."
    )
    assert "No further changes are possible" in caught.value.message


def test_transition_table_covers_every_state():
    sources = {t.source for t in TRANSITIONS}
    targets = {t.target for t in TRANSITIONS}
    assert sources | targets == set(Application.State)


def test_queue_filters_by_dataset_state_and_age(client, student, casmemg, ipcas_reviewer):
    from tests.agreements.factories import policy_dataset

    other = policy_dataset(casmemg.custodian, slug="second", short_name="SECOND")
    old = submitted(student, casmemg)
    Application.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=9))
    fresh = submitted(student, other)
    client.force_login(ipcas_reviewer)
    url = reverse("agreements:review_queue")
    page = client.get(url).content.decode()
    assert old.reference in page and fresh.reference in page
    page = client.get(url, {"dataset": "second"}).content.decode()
    assert old.reference not in page and fresh.reference in page
    page = client.get(url, {"age": "7"}).content.decode()
    assert old.reference in page and fresh.reference not in page
    page = client.get(url, {"state": "approved"}).content.decode()
    assert old.reference not in page and "Nothing matches" in page


def test_queue_query_count_does_not_grow_with_rows(client, student, casmemg, ipcas_reviewer):
    submitted(student, casmemg)
    client.force_login(ipcas_reviewer)
    url = reverse("agreements:review_queue")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    app = Application.objects.get()
    for _ in range(3):  # cheap copies: the page only reads them
        variants = list(app.variants.all())
        agreement = app.current_agreement()
        app.pk = None
        app.reference = services.new_reference()
        app.save()
        app.variants.set(variants)
        agreement.pk = None
        agreement.application = app
        agreement.save()
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    assert len(four) == len(one)


def test_reviewer_sees_page_images_never_the_pdf_inline(client, student, casmemg, ipcas_reviewer):
    application = submitted(student, casmemg)
    agreement = application.current_agreement()
    client.force_login(ipcas_reviewer)
    page = client.get(reverse("agreements:review_detail", args=[application.reference]))
    assert page.status_code == 200
    image_url = reverse(
        "agreements:review_page_image", args=[application.reference, agreement.pk, 1]
    )
    assert image_url.encode() in page.content
    assert b"application/pdf" not in page.content
    image = client.get(image_url)
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    beyond = reverse("agreements:review_page_image", args=[application.reference, agreement.pk, 99])
    assert client.get(beyond).status_code == 404


def test_web_decisions_refuse_missing_comment_with_a_message(
    client, student, casmemg, ipcas_reviewer
):
    application = submitted(student, casmemg)
    client.force_login(ipcas_reviewer)
    response = client.post(
        reverse("agreements:review_return", args=[application.reference]),
        {"comment": ""},
        follow=True,
    )
    assert b"Give a comment saying what to change" in response.content
    application.refresh_from_db()
    assert application.state == "submitted"


def test_drafts_are_invisible_to_reviewers(client, student, casmemg, ipcas_reviewer):
    from tests.agreements.factories import draft

    application = draft(student, casmemg)
    client.force_login(ipcas_reviewer)
    assert (
        application.reference
        not in client.get(reverse("agreements:review_queue"), {"state": ""}).content.decode()
    )
    url = reverse("agreements:review_detail", args=[application.reference])
    assert client.get(url).status_code == 404


def test_changes_after_return_need_the_signer_again(
    student, professor, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    application = signer_confirms(submitted(student, casmemg), professor)
    services.application_decide(
        decision="return", application=application, actor=ipcas_reviewer, comment="Fix it."
    )
    services.application_update(
        application=application, actor=student, details=Details(purpose="A clearer purpose.")
    )
    application.refresh_from_db()
    signed_pdf.application_upload_agreement(
        application=application, actor=student, data=scan_of(agreement_pdf(application))
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=application, actor=student)
    application.refresh_from_db()
    assert not application.signer_confirmed
    assert any("/apply/confirm/" in m.body for m in mail.outbox)
    with pytest.raises(Conflict, match="has not confirmed"):
        services.application_decide(
            decision="approve", application=application, actor=ipcas_reviewer
        )


@pytest.mark.parametrize(
    "action",
    ["return", "reject", "approve", "withdraw"],
)
def test_every_transition_is_audited_and_mailed_to_applicant_and_signer(
    student, professor, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks, action
):
    application = signer_confirms(submitted(student, casmemg), professor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if action == "withdraw":
            services.application_withdraw(application=application, actor=student)
        elif action == "approve":
            services.application_decide(
                decision="approve", application=application, actor=ipcas_reviewer
            )
        elif action == "reject":
            services.application_decide(
                decision="reject", application=application, actor=ipcas_reviewer, comment="r"
            )
        else:
            services.application_decide(
                decision="return", application=application, actor=ipcas_reviewer, comment="c"
            )
    event = Event.objects.get(event_type=f"agreements:application:{action}")
    assert event.details["reference"] == application.reference
    assert event.custodian_id == casmemg.custodian_id
    message = next(m for m in mail.outbox if application.reference in m.subject)
    assert message.to == [student.email] and message.cc == [professor.email]


def test_web_decision_with_a_direction_override_in_the_comment_is_refused_and_says_why(
    client, student, casmemg, ipcas_reviewer
):
    # The comment is emailed to the applicant: a right-to-left override could disguise it.
    application = submitted(student, casmemg)
    client.force_login(ipcas_reviewer)
    response = client.post(
        reverse("agreements:review_return", args=[application.reference]),
        {"comment": "Please fix the \u202eaddress"},
        follow=True,
    )
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.state == "submitted"
    assert not Event.objects.filter(event_type="agreements:application:return").exists()
    assert "direction" in response.content.decode().lower()
