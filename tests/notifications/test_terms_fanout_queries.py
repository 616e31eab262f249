"""New terms for a dataset cost the same number of queries for 3 licences as for 30: the publish
appends every licence's own audit event at once (one lock of the chain, one insert), and the
notice task queues every holder's email in one insert; the chain verifies afterwards, and
publishing again or a retried task adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.audit.models import Event
from accord.audit.verify import verify_chain
from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.core import clock
from accord.licences.models import Licence, TermsChange
from accord.licences.services_terms import terms_publish
from accord.notifications.models import OutgoingEmail
from accord.notifications.terms import terms_notices
from tests import factories

pytestmark = pytest.mark.django_db

NOTICE = "agreements:licence:terms_notice"


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.EMAIL_BACKEND = "accord.notifications.outbox.QueuedEmailBackend"


@pytest.fixture
def terms_admin(custodian):
    return factories.StaffFactory(custodian=custodian, role="admin").user


def _dataset_with_licences(custodian, n: int):
    dataset = factories.DatasetFactory(custodian=custodian)
    current = factories.LicenseVersionFactory(dataset=dataset)
    licences = [
        Licence.objects.create(
            reference=f"LIC-{dataset.slug.upper()}-{i:03d}",
            dataset=dataset,
            license_version=current,
            signer=factories.UserFactory(),
        )
        for i in range(n)
    ]
    return dataset, licences


def _draft(dataset, actor):
    return licence_version_draft(
        dataset=dataset,
        actor=actor,
        title="Licence agreement, second edition",
        effective_date=clock.localdate() + dt.timedelta(days=dataset.notice_days + 1),
        clauses=[ClauseText("C1", "Use", "Research use only.")],
    )


def _publish_counting(custodian, actor, n: int) -> tuple[int, int, list[Licence], list]:
    dataset, licences = _dataset_with_licences(custodian, n)
    version = _draft(dataset, actor)
    with CaptureQueriesContext(connection) as publish:
        terms_publish(version=version, actor=actor)
    changes = list(TermsChange.objects.filter(license_version=version).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as notices:
        assert terms_notices(changes) == n  # one signer each
    return len(publish), len(notices), licences, version


def test_publishing_to_many_licences_costs_the_queries_of_a_few(custodian, terms_admin):
    few_publish, few_notices, _, _ = _publish_counting(custodian, terms_admin, 3)
    publish, notices, licences, version = _publish_counting(custodian, terms_admin, 30)

    assert publish == few_publish
    assert notices == few_notices

    # Still one event per licence, in the licences' order, each with its own details.
    events = list(
        Event.objects.filter(event_type=NOTICE, dataset_id=licences[0].dataset_id).order_by("seq")
    )
    assert [e.licence_id for e in events] == [lic.pk for lic in licences]
    assert [e.target_id for e in events] == [str(lic.pk) for lic in licences]
    assert events[0].details == {
        "licence": licences[0].reference,
        "license_version": version.version,
        "previous_version": 1,
        "effective_date": version.effective_date.isoformat(),
    }
    assert {e.details["licence"] for e in events} == {lic.reference for lic in licences}
    assert {e.actor_id for e in events} == {terms_admin.pk}
    result = verify_chain()
    assert result.ok, result


def test_publishing_again_or_a_retried_notice_task_adds_nothing(custodian, terms_admin):
    dataset, _licences = _dataset_with_licences(custodian, 4)
    version = _draft(dataset, terms_admin)
    terms_publish(version=version, actor=terms_admin)
    changes = list(TermsChange.objects.filter(license_version=version).values_list("pk", flat=True))
    assert terms_notices(changes) == 4
    events, emails = Event.objects.count(), OutgoingEmail.objects.count()

    terms_publish(version=version, actor=terms_admin)
    assert terms_notices(changes) == 0

    assert (Event.objects.count(), OutgoingEmail.objects.count()) == (events, emails)
    assert Event.objects.filter(event_type=NOTICE).count() == 4
    # The notices queued together are dated together, by the portal's clock.
    assert OutgoingEmail.objects.values("created").distinct().count() == 1
    assert verify_chain().ok
