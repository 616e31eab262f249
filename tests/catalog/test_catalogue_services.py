"""Catalogue, terms and staff changes: who may make them, what they refuse, and the audit
event (with before and after) each one leaves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.audit.models import Event
from accord.catalog import selectors
from accord.catalog.models import CustodianStaff, LicenseVersion, PublicationRule, Subject
from accord.catalog.services_staff import (
    ClauseText,
    InvalidChange,
    dataset_update,
    licence_version_draft,
    licence_version_publish,
    publication_rule_create,
    publication_rule_update,
    staff_set_role,
    subject_add,
    subject_withdraw,
)
from accord.core.errors import Conflict, NotFound
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


@pytest.fixture
def administrator(custodian):
    return factories.StaffFactory(custodian=custodian, admin=True).user


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(event_type=event_type).order_by("seq"))


# --- Datasets ---------------------------------------------------------------------------------


def test_data_manager_edits_a_description_and_the_trail_keeps_before_and_after(
    dataset, data_manager
):
    old = dataset.description
    dataset_update(dataset=dataset, actor=data_manager, description="Now with depth maps.")

    dataset.refresh_from_db()
    assert dataset.description == "Now with depth maps."
    (event,) = events("catalog:dataset:update")
    assert event.actor_id == data_manager.pk
    assert event.dataset_id == dataset.pk
    assert event.details["changes"] == {
        "description": {"before": old, "after": "Now with depth maps."}
    }


def test_saving_a_dataset_unchanged_records_nothing(dataset, data_manager):
    dataset_update(dataset=dataset, actor=data_manager, name=dataset.name)
    assert events("catalog:dataset:update") == []


def test_a_reviewer_cannot_edit_a_dataset(dataset, staff):
    with pytest.raises(NotFound):
        dataset_update(dataset=dataset, actor=staff, description="Changed")
    dataset.refresh_from_db()
    assert dataset.description != "Changed"


def test_another_custodians_data_manager_cannot_edit_our_dataset(dataset, other_custodian):
    theirs = factories.StaffFactory(custodian=other_custodian, admin=True).user
    with pytest.raises(NotFound):
        dataset_update(dataset=dataset, actor=theirs, summary="Ours now")


def test_a_datasets_slug_and_custodian_cannot_be_changed(dataset, data_manager, other_custodian):
    for field, value in (("slug", "renamed"), ("custodian", other_custodian)):
        with pytest.raises(InvalidChange) as refused:
            dataset_update(dataset=dataset, actor=data_manager, **{field: value})
        assert field in refused.value.message
    assert events("catalog:dataset:update") == []


def test_an_invalid_value_changes_nothing_and_says_which_field(dataset, data_manager):
    with pytest.raises(InvalidChange) as refused:
        dataset_update(
            dataset=dataset, actor=data_manager, summary="Fine", homepage="not a web address"
        )
    assert refused.value.field == "homepage"
    dataset.refresh_from_db()
    assert dataset.summary != "Fine"
    assert events("catalog:dataset:update") == []


# --- Staff roles ------------------------------------------------------------------------------


def test_an_administrator_grants_changes_and_takes_away_roles_each_audited(
    custodian, administrator
):
    person = factories.UserFactory()
    staff_set_role(custodian=custodian, user=person, role="reviewer", actor=administrator)
    staff_set_role(custodian=custodian, user=person, role="data_manager", actor=administrator)
    staff_set_role(custodian=custodian, user=person, role=None, actor=administrator)

    assert not CustodianStaff.objects.filter(user=person).exists()
    trail = events("catalog:staff:set-role")
    assert [e.details["changes"]["role"] for e in trail] == [
        {"before": None, "after": "reviewer"},
        {"before": "reviewer", "after": "data_manager"},
        {"before": "data_manager", "after": None},
    ]
    assert {e.custodian_id for e in trail} == {custodian.pk}
    assert {e.details["user_id"] for e in trail} == {person.pk}


def test_setting_the_same_role_again_records_nothing(custodian, administrator, staff):
    staff_set_role(custodian=custodian, user=staff, role="reviewer", actor=administrator)
    assert events("catalog:staff:set-role") == []


def test_a_data_manager_cannot_change_roles(custodian, data_manager, staff):
    with pytest.raises(NotFound):
        staff_set_role(custodian=custodian, user=staff, role="admin", actor=data_manager)
    assert CustodianStaff.objects.get(user=staff).role == "reviewer"


def test_the_last_administrator_cannot_lose_their_role(custodian, administrator):
    with pytest.raises(Conflict) as refused:
        staff_set_role(custodian=custodian, user=administrator, role=None, actor=administrator)
    assert "make someone else administrator first" in refused.value.message
    assert CustodianStaff.objects.get(user=administrator).role == "admin"


def test_an_unknown_role_is_refused(custodian, administrator, staff):
    with pytest.raises(InvalidChange):
        staff_set_role(custodian=custodian, user=staff, role="owner", actor=administrator)


# --- Subjects ---------------------------------------------------------------------------------


def test_adding_a_subject_is_audited_and_a_duplicate_refused(dataset, data_manager):
    subject = subject_add(dataset=dataset, code=" s07 ", actor=data_manager)
    assert subject.code == "s07"
    (event,) = events("catalog:subject:add")
    assert event.details["changes"]["code"] == {"before": None, "after": "s07"}
    with pytest.raises(Conflict):
        subject_add(dataset=dataset, code="s07", actor=data_manager)
    with pytest.raises(InvalidChange):
        subject_add(dataset=dataset, code="   ", actor=data_manager)


def test_withdrawing_a_subject_records_date_and_reason_and_hides_their_images(
    dataset, data_manager
):
    subject = factories.SubjectFactory(dataset=dataset, code="s03")
    rule = PublicationRule.objects.create(dataset=dataset, mode=PublicationRule.Mode.ALLOW)
    rule.subjects.set([subject])
    assert selectors.publishable_subjects(rule) == [subject]

    subject_withdraw(subject=subject, actor=data_manager, reason="Letter of 3 March")

    subject.refresh_from_db()
    assert subject.status == Subject.Status.WITHDRAWN
    assert subject.withdrawal_reason == "Letter of 3 March"
    assert timezone.now() - subject.withdrawn_at < dt.timedelta(minutes=1)
    assert selectors.publishable_subjects(rule) == []
    (event,) = events("catalog:subject:withdraw")
    changes = event.details["changes"]
    assert changes["status"] == {"before": "active", "after": "withdrawn"}
    assert "Letter of 3 March" not in event.payload  # the reason stays out of the chain


def test_withdrawing_needs_a_reason_and_a_past_date(dataset, data_manager):
    subject = factories.SubjectFactory(dataset=dataset)
    with pytest.raises(InvalidChange) as refused:
        subject_withdraw(subject=subject, actor=data_manager, reason="  ")
    assert refused.value.field == "reason"
    with pytest.raises(InvalidChange):
        subject_withdraw(
            subject=subject,
            actor=data_manager,
            reason="Asked",
            withdrawn_at=timezone.now() + dt.timedelta(days=2),
        )
    subject.refresh_from_db()
    assert subject.status == Subject.Status.ACTIVE


def test_withdrawing_twice_records_one_event(dataset, data_manager):
    subject = factories.SubjectFactory(dataset=dataset)
    subject_withdraw(subject=subject, actor=data_manager, reason="Asked")
    subject_withdraw(subject=subject, actor=data_manager, reason="Asked again")
    assert len(events("catalog:subject:withdraw")) == 1
    subject.refresh_from_db()
    assert subject.withdrawal_reason == "Asked"


def test_a_reviewer_cannot_add_or_withdraw_subjects(dataset, staff):
    subject = factories.SubjectFactory(dataset=dataset)
    with pytest.raises(NotFound):
        subject_add(dataset=dataset, code="s99", actor=staff)
    with pytest.raises(NotFound):
        subject_withdraw(subject=subject, actor=staff, reason="Asked")


# --- Publication rules ------------------------------------------------------------------------


def test_a_publication_rule_change_is_audited_with_subject_codes(dataset, data_manager):
    s1 = factories.SubjectFactory(dataset=dataset, code="s01")
    s2 = factories.SubjectFactory(dataset=dataset, code="s02")
    rule = publication_rule_create(
        dataset=dataset, actor=data_manager, mode="allow", subjects=[s1], notice="Shown with"
    )
    rule = publication_rule_update(rule=rule, actor=data_manager, mode="deny", subjects=[s2])

    (created,) = events("catalog:publication-rule:create")
    assert created.details["changes"]["subjects"] == {"before": None, "after": ["s01"]}
    (updated,) = events("catalog:publication-rule:update")
    assert updated.details["changes"] == {
        "mode": {"before": "allow", "after": "deny"},
        "subjects": {"before": ["s01"], "after": ["s02"]},
    }
    assert selectors.publishable_subjects(rule) == [s1]


def test_a_rule_cannot_list_another_datasets_subjects(dataset, data_manager):
    rule = publication_rule_create(dataset=dataset, actor=data_manager, mode="allow")
    stranger = factories.SubjectFactory(code="x01")
    with pytest.raises(InvalidChange) as refused:
        publication_rule_update(rule=rule, actor=data_manager, subjects=[stranger])
    assert "x01" in refused.value.message
    assert list(rule.subjects.all()) == []


def test_a_second_rule_for_the_same_scope_is_refused(dataset, data_manager):
    publication_rule_create(dataset=dataset, actor=data_manager, mode="allow")
    with pytest.raises(Conflict):
        publication_rule_create(dataset=dataset, actor=data_manager, mode="deny")


# --- Licence versions -------------------------------------------------------------------------

CLAUSES = [
    ClauseText("C1", "No commercial use", "Not for commercial use."),
    ClauseText("C2", "Safe keeping", "Keep the data safe."),
]


def test_an_administrator_drafts_and_publishes_the_next_version(dataset, administrator):
    factories.LicenseVersionFactory(dataset=dataset, version=1)
    draft = licence_version_draft(
        dataset=dataset,
        actor=administrator,
        title="Licence v2",
        effective_date=dt.date(2030, 1, 1),
        clauses=CLAUSES,
    )
    assert (draft.version, draft.status) == (2, LicenseVersion.Status.DRAFT)
    assert [c.code for c in draft.clauses.all()] == ["C1", "C2"]

    published = licence_version_publish(version=draft, actor=administrator)

    assert published.status == LicenseVersion.Status.PUBLISHED
    assert published.published_at is not None
    (drafted,) = events("catalog:licence-version:draft")
    assert drafted.details["changes"]["title"] == {"before": "", "after": "Licence v2"}
    (event,) = events("catalog:licence-version:publish")
    assert event.details["changes"]["status"] == {"before": "draft", "after": "published"}
    assert len(event.details["terms_sha256"]) == 64


def test_a_published_version_cannot_be_changed_through_the_service(dataset, administrator):
    draft = licence_version_draft(
        dataset=dataset,
        actor=administrator,
        title="Terms",
        effective_date=dt.date(2024, 1, 1),
        clauses=CLAUSES,
    )
    licence_version_publish(version=draft, actor=administrator)

    with pytest.raises(Conflict) as refused:
        licence_version_draft(
            dataset=dataset,
            actor=administrator,
            version=draft,
            title="Terms",
            effective_date=dt.date(2024, 1, 1),
            clauses=[ClauseText("C1", "Anything goes", "Any use.")],
        )
    assert "Draft a new version instead" in refused.value.message
    draft.refresh_from_db()
    assert draft.title == "Terms"
    assert [c.title for c in draft.clauses.all()] == ["No commercial use", "Safe keeping"]
    assert events("catalog:licence-version:update") == []


def test_changing_a_draft_replaces_its_clauses_and_is_audited(dataset, administrator):
    draft = licence_version_draft(
        dataset=dataset,
        actor=administrator,
        title="Terms",
        effective_date=dt.date(2024, 1, 1),
        clauses=CLAUSES,
    )
    licence_version_draft(
        dataset=dataset,
        actor=administrator,
        version=draft,
        title="Terms",
        effective_date=dt.date(2024, 1, 1),
        clauses=CLAUSES[:1],
    )
    assert [c.code for c in draft.clauses.all()] == ["C1"]
    (event,) = events("catalog:licence-version:update")
    assert list(event.details["changes"]) == ["clauses"]


def test_a_draft_with_twice_the_same_clause_code_is_refused(dataset, administrator):
    with pytest.raises(InvalidChange) as refused:
        licence_version_draft(
            dataset=dataset,
            actor=administrator,
            title="Terms",
            effective_date=dt.date(2024, 1, 1),
            clauses=[CLAUSES[0], CLAUSES[0]],
        )
    assert "C1" in refused.value.message
    assert not LicenseVersion.objects.filter(dataset=dataset).exists()


def test_empty_terms_cannot_be_published(dataset, administrator):
    draft = licence_version_draft(
        dataset=dataset, actor=administrator, title="Terms", effective_date=dt.date(2024, 1, 1)
    )
    with pytest.raises(Conflict):
        licence_version_publish(version=draft, actor=administrator)
    draft.refresh_from_db()
    assert draft.status == LicenseVersion.Status.DRAFT


def test_a_data_manager_cannot_draft_or_publish_terms(dataset, data_manager):
    draft = factories.LicenseVersionFactory(dataset=dataset, status=LicenseVersion.Status.DRAFT)
    factories.ClauseFactory(license_version=draft)
    with pytest.raises(NotFound):
        licence_version_publish(version=draft, actor=data_manager)
    with pytest.raises(NotFound):
        licence_version_draft(
            dataset=dataset, actor=data_manager, title="x", effective_date=dt.date(2024, 1, 1)
        )
    draft.refresh_from_db()
    assert draft.status == LicenseVersion.Status.DRAFT
