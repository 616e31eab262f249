"""Two submits or two approvals at the same moment (a double click, two reviewers) end in one
outcome: one transition, one licence, one set of emails. The application row lock makes the
second caller wait and then find the work done. Row locks need PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from accord.agreements import services
from accord.agreements.models import Application, ApplicationTransition
from accord.audit.models import Event
from accord.licences.models import Licence
from tests.agreements.factories import draft, signer_confirms, submitted, with_scan
from tests.tools import need_postgres

pytestmark = pytest.mark.django_db(transaction=True)


def run_twice(call) -> list:
    barrier = threading.Barrier(2)
    results: list = []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except Exception as exc:  # collected and asserted on below
            results.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_double_submit_is_idempotent(student, casmemg):
    need_postgres("concurrent row locks")
    application = with_scan(draft(student, casmemg), student)
    results = run_twice(
        lambda: services.application_submit(
            application=Application.objects.get(pk=application.pk), actor=student
        )
    )
    assert [type(r) for r in results] == [Application, Application], results
    assert ApplicationTransition.objects.filter(to_state="submitted").count() == 1
    assert Event.objects.filter(event_type="agreements:application:submit").count() == 1
    assert Event.objects.filter(event_type="agreements:application:signer-request").count() == 1


def test_double_approve_grants_one_licence(student, professor, casmemg, ipcas_reviewer):
    need_postgres("concurrent row locks")
    application = submitted(student, casmemg)
    signer_confirms(application, professor)
    results = run_twice(
        lambda: services.application_decide(
            decision="approve",
            application=Application.objects.get(pk=application.pk),
            actor=ipcas_reviewer,
        )
    )
    assert [type(r) for r in results] == [Application, Application], results
    assert Licence.objects.count() == 1
    assert Event.objects.filter(event_type="agreements:licence:grant").count() == 1
    assert ApplicationTransition.objects.filter(to_state="approved").count() == 1
