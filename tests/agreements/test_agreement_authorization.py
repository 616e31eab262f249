"""Who may decide, see and feed applications: separation of duties for approvals, a replaced
signer losing sight of the application, and intake refusing non-staff before any parsing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.agreements import services
from accord.agreements.content import Details
from accord.agreements.models import Application
from accord.core.errors import NotAllowed
from accord.licences.models import Licence
from tests import factories
from tests.agreements.factories import signer_confirms, submitted
from tests.roles import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_reviewer_cannot_approve_an_application_they_sign(casmemg, ipcas_reviewer):
    # The reviewer applies for their own custodian's dataset and signs it themselves.
    application = submitted(ipcas_reviewer, casmemg, signer_email=ipcas_reviewer.email)
    application.refresh_from_db()
    assert application.signer_user == ipcas_reviewer  # confirmed as applicant-signer

    with pytest.raises(NotAllowed, match="another reviewer"):
        services.application_decide(
            decision="approve", application=application, actor=ipcas_reviewer
        )

    assert not Licence.objects.exists()
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED


def test_reviewer_cannot_approve_an_application_they_made_for_a_signer(
    client, casmemg, ipcas_reviewer, professor
):
    application = submitted(ipcas_reviewer, casmemg)
    signer_confirms(application, professor)
    client.force_login(ipcas_reviewer)

    response = client.post(
        reverse("agreements:review_approve", args=[application.reference]), follow=True
    )

    assert "another reviewer" in response.content.decode()
    assert not Licence.objects.exists()


def test_another_reviewer_of_the_custodian_may_approve_it(casmemg, ipcas_reviewer, other_custodian):
    application = submitted(ipcas_reviewer, casmemg, signer_email=ipcas_reviewer.email)
    colleague = factories.StaffFactory(custodian=other_custodian).user

    services.application_decide(decision="approve", application=application, actor=colleague)

    assert Licence.objects.get().signer == ipcas_reviewer


def test_replaced_signer_no_longer_sees_the_application(
    client, student, professor, casmemg, ipcas_reviewer
):
    application = submitted(student, casmemg)
    signer_confirms(application, professor)
    services.application_decide(
        decision="return", application=application, actor=ipcas_reviewer, comment="Other PI"
    )
    services.application_update(
        application=application,
        actor=student,
        details=Details(signer_email="new.pi@uni-example.edu", signer_name="New PI"),
    )
    client.force_login(professor)

    page = client.get(reverse("agreements:application_detail", args=[application.reference]))
    listed = client.get(reverse("agreements:my_applications"))
    api = client.get(f"/api/v1/applications/{application.reference}")

    assert page.status_code == 404
    assert application.reference not in listed.content.decode()
    assert api.status_code == 404


def test_outsider_intake_upload_is_refused_before_it_is_parsed(client, outsider, casmemg):
    response = client.post(
        "/api/v1/review/intake",
        {
            "dataset": casmemg.slug,
            "file": SimpleUploadedFile("x.pdf", b"not a pdf at all", "application/pdf"),
        },
        **bearer(outsider),
    )

    assert response.status_code == 404
    assert not Application.objects.exists()


def test_reviewer_of_another_custodian_intake_is_404_before_parsing(client, staff, casmemg):
    response = client.post(
        "/api/v1/review/intake",
        {
            "dataset": casmemg.slug,
            "file": SimpleUploadedFile("x.pdf", b"not a pdf at all", "application/pdf"),
        },
        **bearer(staff),
    )

    assert response.status_code == 404


def test_reviewer_listed_as_a_member_cannot_approve_the_application(
    casmemg, ipcas_reviewer, student, professor
):
    members = [
        {"full_name": "Rev", "email": ipcas_reviewer.email, "extra": {"registration_id": "R1"}}
    ]
    application = submitted(student, casmemg, members=members)
    signer_confirms(application, professor)

    with pytest.raises(NotAllowed, match="another reviewer"):
        services.application_decide(
            decision="approve", application=application, actor=ipcas_reviewer
        )

    assert not Licence.objects.exists()
