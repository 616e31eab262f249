""" "My applications" is each person's home: what waits for them and the next step, as a
student (applicant, invited member) and as a professor (signer)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.licences.models import LicenceMember
from tests.access.factories import licence_for
from tests.agreements.factories import draft, submitted

pytestmark = pytest.mark.django_db

HOME = reverse("agreements:my_applications")


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _home(client, user) -> str:
    client.force_login(user)
    return client.get(HOME).content.decode()


def test_student_sees_the_invitation_waiting_with_the_accept_action(
    client, student, professor, variant
):
    licence = licence_for(variants=[variant], signer=professor)
    invitation = LicenceMember.objects.create(
        licence=licence, email=student.email, full_name=student.full_name
    )
    page = _home(client, student)
    waiting = page[page.index('id="waiting"') :]
    assert licence.reference in waiting
    assert reverse("agreements:member_accept", args=[invitation.pk]) in waiting


def test_student_sees_the_next_step_of_each_application(client, student, casmemg):
    draft(student, casmemg)
    page = _home(client, student)
    assert "Complete the application, upload the signed agreement and submit it." in page


def test_professor_sees_the_confirmation_asked_of_them(client, student, professor, casmemg):
    application = submitted(student, casmemg)
    page = _home(client, professor)
    waiting = page[page.index('id="waiting"') :]
    assert application.reference in waiting
    assert "Sam Student named you as the signer" in waiting


def test_professor_sees_licence_expiry_and_can_resend_a_pending_invitation(
    client, professor, variant, student
):
    expires = timezone.now() + dt.timedelta(days=200)
    licence = licence_for(variants=[variant], signer=professor, expires_at=expires)
    invitation = LicenceMember.objects.create(
        licence=licence, email=student.email, full_name=student.full_name
    )
    page = _home(client, professor)
    row = page[page.index('id="licences"') :]
    assert expires.strftime("%Y-%m-%d") in row
    resend = reverse("agreements:licence_member_resend", args=[licence.reference, invitation.pk])
    assert resend in row


def test_a_student_with_an_application_lands_on_my_applications_after_sign_in(student, casmemg):
    from django.test import RequestFactory

    from accord.accounts.adapter import AccountAdapter

    draft(student, casmemg)
    request = RequestFactory().get("/")
    request.user = student
    assert AccountAdapter(request).get_login_redirect_url(request) == HOME


def test_professor_who_lost_the_email_has_the_link_sent_again_from_home(
    client, student, professor, casmemg, django_capture_on_commit_callbacks
):
    from django.core import mail

    application = submitted(student, casmemg)
    client.force_login(professor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agreements:signer_link_to_me", args=[application.reference]), follow=True
        )
    assert "A new confirmation link was sent to prof.ada@uni-example.edu." in (
        response.content.decode()
    )
    assert [m.to for m in mail.outbox if "/apply/confirm/" in m.body] == [[professor.email]]


def test_someone_not_named_as_signer_cannot_ask_for_the_link(client, student, casmemg, outsider):
    application = submitted(student, casmemg)
    client.force_login(outsider)
    url = reverse("agreements:signer_link_to_me", args=[application.reference])
    assert client.post(url).status_code == 404
