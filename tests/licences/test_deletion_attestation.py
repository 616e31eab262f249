"""Close-out: when a licence ends, the signer (and, if the dataset wants it, each member who
downloaded) is asked to confirm deleting their copies, listing the files the download records
say they got; they confirm on their page; reminders before the due date and an escalation to
the custodian after it go out once each however often the scheduler runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accord.audit.models import Event
from accord.licences.models import DeletionAttestation
from accord.licences.services import licence_revoke
from accord.licences.services_closeout import (
    deletion_attestation_confirm,
    deletion_attestation_request,
    step_attestation_reminders,
)
from tests import factories
from tests.downloads import conftest as downloads
from tests.downloads.conftest import body, issue

pytestmark = pytest.mark.django_db
variant = downloads.variant
member = downloads.member
licence = downloads.licence
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


def _download(client, user, data_file) -> None:
    response = client.get(issue(user, data_file))
    assert response.status_code == 200
    body(response)


def test_revoking_asks_the_signer_to_attest_listing_every_file_the_group_downloaded(
    client, data_manager, licence, variant, member, django_capture_on_commit_callbacks
):
    _download(client, member, variant.files.get(path="small.txt"))
    issue(licence.signer, variant.files.get(path="empty.dat"))  # issued, never used

    with django_capture_on_commit_callbacks(execute=True):
        licence_revoke(licence=licence, actor=data_manager, reason="Breach of clause 3.")

    attestation = DeletionAttestation.objects.get(licence=licence)
    assert attestation.user == licence.signer and attestation.reason == "revoked"
    assert [f.path for f in attestation.files.all()] == ["small.txt"]
    assert attestation.attested_at is None
    asked = [m for m in mail.outbox if "Confirm that you deleted" in m.subject]
    assert [m.to for m in asked] == [[licence.signer.email]]
    assert "small.txt" in asked[0].body
    assert reverse("agreements:deletion_attestation", args=[attestation.pk]) in asked[0].body
    event = Event.objects.get(event_type="licences:attestation:request")
    assert event.actor == data_manager and event.details["files"] == ["small.txt"]


def test_members_who_downloaded_attest_their_own_files_when_the_dataset_asks(
    client, data_manager, licence, variant, member
):
    licence.dataset.members_attest_deletion = True
    licence.dataset.save()
    idle = factories.UserFactory()
    from tests.access.factories import add_member

    add_member(licence, idle)
    _download(client, member, variant.files.get(path="small.txt"))

    deletion_attestation_request(licence=licence, reason="void", actor=None)
    deletion_attestation_request(licence=licence, reason="void", actor=None)  # asks nobody twice

    rows = {a.user: a for a in DeletionAttestation.objects.filter(licence=licence)}
    assert set(rows) == {licence.signer, member}  # not the member who downloaded nothing
    assert [f.path for f in rows[member].files.all()] == ["small.txt"]


def test_signer_confirms_on_the_page_and_the_custodian_is_told(
    client, data_manager, licence, variant, django_capture_on_commit_callbacks
):
    _download(client, licence.signer, variant.files.get(path="small.txt"))
    licence_revoke(licence=licence, actor=data_manager, reason="Ended.")
    attestation = DeletionAttestation.objects.get(licence=licence)
    url = reverse("agreements:deletion_attestation", args=[attestation.pk])
    client.force_login(licence.signer)

    page = client.get(url)
    assert page.status_code == 200 and "small.txt" in page.content.decode()
    unticked = client.post(url, {"statement": "Deleted."}, follow=True)
    assert "Tick the box" in unticked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"statement": "Deleted from the lab server.", "confirm": "1"}, follow=True
        )

    attestation.refresh_from_db()
    assert attestation.attested_at is not None
    assert attestation.statement == "Deleted from the lab server."
    assert "You confirmed the deletion" in done.content.decode()
    told = [m for m in mail.outbox if "confirmed deleting" in m.subject]
    assert told and told[0].to == [licence.dataset.custodian.contact_email]
    assert Event.objects.filter(event_type="licences:attestation:confirm").count() == 1


def test_nobody_else_sees_or_confirms_an_attestation(client, data_manager, licence, member):
    licence_revoke(licence=licence, actor=data_manager, reason="Ended.")
    attestation = DeletionAttestation.objects.get(licence=licence)
    url = reverse("agreements:deletion_attestation", args=[attestation.pk])
    client.force_login(member)

    assert client.get(url).status_code == 404
    assert client.post(url, {"statement": "x", "confirm": "1"}).status_code == 404
    with pytest.raises(Exception, match="No such deletion attestation"):
        deletion_attestation_confirm(attestation=attestation, actor=member, statement="x")
    assert DeletionAttestation.objects.get(pk=attestation.pk).attested_at is None


def test_an_empty_statement_is_refused_and_nothing_is_saved(client, data_manager, licence):
    licence_revoke(licence=licence, actor=data_manager, reason="Ended.")
    attestation = DeletionAttestation.objects.get(licence=licence)
    client.force_login(licence.signer)

    page = client.post(
        reverse("agreements:deletion_attestation", args=[attestation.pk]),
        {"statement": "  ", "confirm": "1"},
        follow=True,
    )

    assert page.status_code == 200 and "Say how you deleted" in page.content.decode()
    assert DeletionAttestation.objects.get(pk=attestation.pk).attested_at is None


def test_reminders_then_escalation_each_once_however_often_the_scheduler_runs(
    clock, data_manager, licence, django_capture_on_commit_callbacks
):
    licence_revoke(licence=licence, actor=data_manager, reason="Ended.")
    attestation = DeletionAttestation.objects.get(licence=licence)
    mail.outbox.clear()

    def run() -> list[str]:
        with django_capture_on_commit_callbacks(execute=True):
            step_attestation_reminders(now=clock.now())
            step_attestation_reminders(now=clock.now())
        subjects = [m.subject for m in mail.outbox]
        mail.outbox.clear()
        return subjects

    assert run() == []
    clock.travel(to=attestation.due_at - timedelta(days=7))
    assert [s for s in run() if "Reminder" in s] and len(mail.outbox) == 0
    assert run() == []
    clock.travel(to=attestation.due_at - timedelta(hours=23))
    assert len(run()) == 1
    clock.travel(to=attestation.due_at + timedelta(minutes=1))
    escalated = run()
    assert len(escalated) == 1 and "Overdue" in escalated[0]
    clock.advance(days=10)
    assert run() == []
    kinds = Event.objects.filter(event_type__startswith="licences:attestation:")
    assert sorted(kinds.values_list("event_type", flat=True)) == [
        "licences:attestation:escalate",
        "licences:attestation:remind",
        "licences:attestation:remind",
        "licences:attestation:request",
    ]


def test_a_confirmed_attestation_is_not_chased(clock, data_manager, licence):
    licence_revoke(licence=licence, actor=data_manager, reason="Ended.")
    attestation = DeletionAttestation.objects.get(licence=licence)
    deletion_attestation_confirm(
        attestation=attestation, actor=licence.signer, statement="All gone."
    )

    clock.travel(to=attestation.due_at + timedelta(days=1))

    assert step_attestation_reminders(now=clock.now()) == 0
