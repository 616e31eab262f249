"""New terms for a dataset with many licences: the publish writes the changes in one insert and
enqueues one notice task per batch of licences (not one per licence), the worker queues one
email per holder in that holder's language and delivers them in batches through a real SMTP
server, and a retried task or publish sends nobody a second notice."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from accord.accounts.models import User
from accord.catalog.models import Dataset
from accord.catalog.services_staff import ClauseText
from accord.core import clock
from accord.demo.scale import STAFF_EMAIL
from accord.licences.models import Licence, TermsChange
from accord.licences.services_terms import terms_draft_and_publish, terms_publish
from accord.notifications.models import OutgoingEmail
from accord.notifications.terms import terms_notices
from tests.notifications.test_outbox import DATABASE_TASKS, run_worker, smtp  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _publish():
    dataset = Dataset.objects.get(slug="scale-00")
    return terms_draft_and_publish(
        dataset=dataset,
        actor=User.objects.get(email=STAFF_EMAIL),
        title="Licence agreement, second edition",
        effective_date=clock.localdate() + dt.timedelta(days=dataset.notice_days + 1),
        clauses=[ClauseText(code="C1", title="Use", text="Research use only.")],
    )


def _holders() -> tuple[list[str], dict[str, str]]:
    """Each licence's holders' addresses (signer and active members; a person in two
    licences is in the list twice), and each address's language."""
    addresses, language = [], {}
    for licence in Licence.objects.select_related("signer"):
        people = [licence.signer]
        people += [m.user for m in licence.members.filter(status="active").select_related("user")]
        for person in people:
            addresses.append(person.email)
            language[person.email] = person.language
    return addresses, language


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_every_holder_gets_one_notice_in_their_language_through_batched_tasks(smtp):  # noqa: F811
    call_command("seed_scale", factor=0.001, json=True)  # 20 licences, 5 holders each
    smtp.controller.start()
    with override_settings(TASKS=DATABASE_TASKS):
        version = _publish()
        assert TermsChange.objects.filter(license_version=version).count() == 20
        tasks = DBTaskResult.objects.filter(task_path__startswith="accord.notifications")
        assert [t.task_path.rsplit(".", 1)[1] for t in tasks] == ["terms_notices"]  # one batch
        run_worker()

    holders, language = _holders()
    delivered = [(m["To"], _subject(m)) for m in smtp.messages]
    assert len(holders) == 102  # 20 licences × 5 holders, the power user in two more
    assert sorted(to for to, _ in delivered) == sorted(holders)  # once per licence held
    for to, subject in delivered:
        if language[to] == "fi":
            assert "uudet ehdot" in subject, subject
        elif language[to] in ("", "en"):
            assert "New terms for" in subject, subject
    assert not TermsChange.objects.filter(notified_at__isnull=True).exists()
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}
    delivery_tasks = DBTaskResult.objects.filter(task_path__endswith=".deliver_emails").count()
    assert delivery_tasks == 1  # 100 emails, one SMTP batch

    # Publishing again, or the notice task run again (a retry), tells nobody twice.
    with override_settings(TASKS=DATABASE_TASKS):
        terms_publish(version=version, actor=User.objects.get(email=STAFF_EMAIL))
        changes = list(TermsChange.objects.values_list("pk", flat=True))
        assert terms_notices(changes) == 0
        run_worker()
    assert len(smtp.messages) == len(holders)


def test_notices_whose_task_was_lost_are_written_by_the_scheduler_once(smtp):  # noqa: F811
    from accord.licences.services_terms import step_terms_notices

    call_command("seed_scale", factor=0.001, json=True)
    with override_settings(TASKS=DATABASE_TASKS):
        _publish()
        DBTaskResult.objects.filter(task_path__endswith=".terms_notices").delete()  # lost
        assert step_terms_notices(now=clock.now()) == 0  # not overdue yet: the task may run
        later = clock.now() + dt.timedelta(minutes=11)
        assert step_terms_notices(now=later) == 102
        assert step_terms_notices(now=later) == 0
    assert OutgoingEmail.objects.count() == 102
    assert not TermsChange.objects.filter(notified_at__isnull=True).exists()
