"""Applications that did not become a licence are deleted, with the applicant's answers and the
agreements they uploaded, once the retention period has passed since their last change: the
scheduler's step ``application_retention``, audited without personal data, once however often
it runs. Approved applications and submitted ones waiting for review stay."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accord.agreements import services
from accord.agreements.models import Application, ApplicationTransition, SignedAgreement
from accord.agreements.retention import step_application_retention
from accord.audit.models import Event
from accord.core.storage import protected_storage
from tests import roles
from tests.agreements.factories import draft, policy_dataset, signer_confirms, submitted
from tests.core.test_settings import _import_settings

pytestmark = pytest.mark.django_db
data_manager = roles.data_manager
PURGE = "agreements:application:purge"


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.APPLICATION_RETENTION_DAYS = 365


def _rejected(student, casmemg, reviewer) -> Application:
    application = submitted(student, casmemg)
    return services.application_decide(
        decision="reject", application=application, actor=reviewer, comment="Not eligible."
    )


def _stored(application: Application) -> list[str]:
    names = []
    for agreement in application.signed_agreements.all():
        names += [agreement.storage_name, *agreement.page_storage_names]
    return names


def _schedule(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("schedule", "--step", "application_retention", stdout=io.StringIO())


def test_rejected_application_past_the_period_is_deleted_with_its_stored_agreement(
    clock, student, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    application = _rejected(student, casmemg, ipcas_reviewer)
    files = _stored(application)
    assert files and all(protected_storage().exists(n) for n in files)

    clock.advance(days=366)
    _schedule(django_capture_on_commit_callbacks)

    assert not Application.objects.filter(pk=application.pk).exists()
    assert not SignedAgreement.objects.filter(application_id=application.pk).exists()
    assert not ApplicationTransition.objects.filter(application_id=application.pk).exists()
    assert not any(protected_storage().exists(n) for n in files)


def test_the_purge_is_audited_without_personal_data_and_the_chain_verifies(
    clock, student, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    application = _rejected(student, casmemg, ipcas_reviewer)

    clock.advance(days=366)
    _schedule(django_capture_on_commit_callbacks)

    event = Event.objects.get(event_type=PURGE)
    assert event.target_id == str(application.pk)
    assert event.details["reference"] == application.reference
    assert event.details["state"] == "rejected" and event.details["retention_days"] == 365
    text = str(event.details) + event.target_label
    for personal in (student.email, student.full_name, application.signer_email, "Not eligible"):
        assert personal not in text
    call_command("audit", "verify", stdout=io.StringIO())


def test_rejected_application_younger_than_the_period_stays(
    clock, student, casmemg, ipcas_reviewer
):
    application = _rejected(student, casmemg, ipcas_reviewer)

    clock.advance(days=364)

    assert step_application_retention(now=clock.now()) == 0
    assert Application.objects.filter(pk=application.pk).exists()


def test_approved_application_is_never_deleted(clock, student, professor, casmemg, ipcas_reviewer):
    application = signer_confirms(submitted(student, casmemg), professor)
    services.application_decide(decision="approve", application=application, actor=ipcas_reviewer)

    clock.advance(days=3650)

    assert step_application_retention(now=clock.now()) == 0
    assert Application.objects.filter(pk=application.pk, state="approved").exists()


def test_submitted_application_waiting_for_review_is_never_deleted(clock, student, casmemg):
    application = submitted(student, casmemg)

    clock.advance(days=3650)

    assert step_application_retention(now=clock.now()) == 0
    assert Application.objects.filter(pk=application.pk).exists()


def test_draft_nobody_changed_for_the_period_is_deleted_as_abandoned(clock, student, casmemg):
    abandoned = draft(student, casmemg)
    clock.advance(days=366)

    assert step_application_retention(now=clock.now()) == 1
    assert not Application.objects.filter(pk=abandoned.pk).exists()
    assert Event.objects.get(event_type=PURGE).details["state"] == "draft"


def test_withdrawn_application_past_the_period_is_deleted(clock, student, casmemg):
    application = services.application_withdraw(application=draft(student, casmemg), actor=student)
    clock.advance(days=366)

    assert step_application_retention(now=clock.now()) == 1
    assert not Application.objects.filter(pk=application.pk).exists()


def test_a_datasets_own_period_wins_over_the_setting(
    clock, student, casmemg, ipcas_reviewer, custodian
):
    casmemg.application_retention_days = 30
    casmemg.save()
    short = _rejected(student, casmemg, ipcas_reviewer)
    kept_longer = policy_dataset(custodian, slug="smic-test", short_name="SMIC")
    kept_longer.application_retention_days = 1000
    kept_longer.save()
    long = draft(student, kept_longer)

    clock.advance(days=400)

    assert step_application_retention(now=clock.now()) == 1
    assert not Application.objects.filter(pk=short.pk).exists()
    assert Application.objects.filter(pk=long.pk).exists()
    assert Event.objects.get(event_type=PURGE).details["retention_days"] == 30


def test_running_the_step_twice_deletes_and_audits_once(
    clock, student, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    _rejected(student, casmemg, ipcas_reviewer)
    clock.advance(days=366)

    _schedule(django_capture_on_commit_callbacks)
    _schedule(django_capture_on_commit_callbacks)

    assert Event.objects.filter(event_type=PURGE).count() == 1


def test_applicants_are_told_how_long_ended_applications_are_kept(
    client, student, casmemg, settings
):
    settings.APPLICATION_RETENTION_DAYS = 180
    application = draft(student, casmemg)
    client.force_login(student)

    detail = client.get(reverse("agreements:application_detail", args=[application.reference]))
    form = client.get(reverse("agreements:application_start", args=[casmemg.slug]))

    for page in (detail, form):
        assert "rejected or withdrawn" in page.content.decode()
        assert "180 days after its last change" in page.content.decode()


def test_a_bad_retention_setting_stops_start_up_naming_the_variable(tmp_path):
    result = _import_settings(tmp_path, ACCORD_APPLICATION_RETENTION_DAYS="0")
    assert result.returncode != 0
    assert "ACCORD_APPLICATION_RETENTION_DAYS" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_at_once_purge_each_application_once(
    student, casmemg, ipcas_reviewer
):
    import subprocess
    import sys

    from django.utils import timezone

    from tests.licences.test_scheduler import _accord_env
    from tests.tools import need_postgres

    need_postgres("two processes racing for the same application rows")
    applications = [_rejected(student, casmemg, ipcas_reviewer) for _ in range(3)]
    long_ago = timezone.now() - dt.timedelta(days=400)
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(updated=long_ago)
    accord = [sys.executable, "-m", "accord.cli", "schedule", "--step", "application_retention"]
    env = {**_accord_env(), "ACCORD_APPLICATION_RETENTION_DAYS": "365"}
    runs = [
        subprocess.Popen(accord, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()

    assert not Application.objects.filter(pk__in=[a.pk for a in applications]).exists()
    assert Event.objects.filter(event_type=PURGE).count() == 3
    call_command("audit", "verify", stdout=io.StringIO())


def test_custodian_staff_set_a_datasets_retention_period_on_its_page(client, data_manager, dataset):
    client.force_login(data_manager)
    data = {
        "name": dataset.name,
        "short_name": dataset.short_name,
        "summary": dataset.summary,
        "description": dataset.description,
        "modalities": ", ".join(dataset.modalities),
        "notice_days": dataset.notice_days,
        "terms_no_action": dataset.terms_no_action,
        "terms_acceptance": dataset.terms_acceptance,
        "application_retention_days": "90",
    }

    response = client.post(f"/datasets/{dataset.slug}/manage/", data)

    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.application_retention_days == 90
    (event,) = Event.objects.filter(event_type="catalog:dataset:update")
    assert event.details["changes"]["application_retention_days"] == {"before": None, "after": 90}
