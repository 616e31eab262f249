"""A signed scan must match what is submitted: a change to the agreement's content after the
upload makes the scan stale, submission refuses it until a newly generated agreement is signed
and uploaded, and the signer's confirmation is asked for again."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accord.agreements import services
from accord.agreements.content import Details, InvalidApplication
from accord.agreements.models import Application
from tests.agreements.factories import draft, submitted, with_scan

pytestmark = pytest.mark.django_db

SAM = {"full_name": "Sam Student", "email": "sam@uni-example.edu"}
CHANGES = {
    "purpose": Details(purpose="Something else entirely."),
    "signer": Details(signer_affiliation="Another University"),
    "answers": Details(answers={"data_location": "A laptop"}),
    "attestations": Details(attested_clauses=["C1"]),
    "members": Details(
        members=[
            {**SAM, "extra": {"registration_id": "REG-0007"}},
            {
                "full_name": "Kim",
                "email": "kim@uni-example.edu",
                "extra": {"registration_id": "R2"},
            },
        ]
    ),
    "variants": Details(variants=[]),
}


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _update(application, actor, details):
    return services.application_update(application=application, actor=actor, details=details)


@pytest.mark.parametrize("what", sorted(CHANGES))
def test_changing_the_content_after_upload_makes_submission_refuse_the_scan(student, casmemg, what):
    application = with_scan(draft(student, casmemg), student)
    application = _update(application, student, CHANGES[what])

    with pytest.raises(InvalidApplication) as refused:
        services.application_submit(application=application, actor=student)

    assert "Download the new agreement, have it signed and upload it again" in str(refused.value)
    assert Application.objects.get(pk=application.pk).state == "draft"


def test_a_fresh_upload_of_the_new_agreement_is_accepted(student, casmemg):
    application = with_scan(draft(student, casmemg), student)
    application = _update(application, student, Details(purpose="A narrower purpose."))
    with_scan(application, student)  # the newly generated agreement, signed and scanned

    application = services.application_submit(application=application, actor=student)

    assert application.state == "submitted"


def test_saving_the_same_content_again_keeps_the_scan(student, casmemg):
    application = with_scan(draft(student, casmemg), student)
    application = _update(application, student, Details(purpose=application.purpose))

    assert services.application_submit(application=application, actor=student).state == (
        "submitted"
    )


def test_web_submit_of_a_stale_scan_says_what_to_do(client, student, casmemg):
    application = with_scan(draft(student, casmemg), student)
    _update(application, student, Details(purpose="Changed after signing."))
    client.force_login(student)

    detail = client.get(reverse("agreements:application_detail", args=[application.reference]))
    response = client.post(
        reverse("agreements:application_submit", args=[application.reference]), follow=True
    )

    assert b'id="scan-stale"' in detail.content
    assert b"Download the new agreement, have it signed and upload it again" in response.content
    assert Application.objects.get(pk=application.pk).state == "draft"


def test_a_content_change_after_return_asks_the_signer_to_confirm_again(
    student, professor, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    application = _confirmed(student, professor, casmemg, django_capture_on_commit_callbacks)
    application = services.application_decide(
        decision="return",
        application=application,
        actor=ipcas_reviewer,
        comment="Say where the data is kept.",
    )
    assert application.signer_confirmed

    application = _update(application, student, Details(answers={"data_location": "Vault B"}))
    assert not application.signer_confirmed
    with_scan(application, student)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_submit(application=application, actor=student)

    assert not application.signer_confirmed
    assert any("/apply/confirm/" in m.body and m.to == [professor.email] for m in mail.outbox)


def test_a_save_without_changes_keeps_the_signers_confirmation(
    student, professor, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    application = _confirmed(student, professor, casmemg, django_capture_on_commit_callbacks)
    application = services.application_decide(
        decision="return", application=application, actor=ipcas_reviewer, comment="Please check."
    )

    application = _update(application, student, Details(purpose=application.purpose))

    assert application.signer_confirmed


def _confirmed(student, professor, dataset, capture):
    """Submitted by the student, confirmed by the signer through the emailed link."""
    with capture(execute=True):
        submitted(student, dataset)
    body = next(m.body for m in mail.outbox if "/apply/confirm/" in m.body)
    token = body.split("/apply/confirm/")[1].split("/")[0]
    return services.signer_confirm(raw_token=token, actor=professor)
