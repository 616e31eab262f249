"""The Django admin goes through the catalogue services: a change to staff roles, datasets,
subjects, publication rules or licence versions leaves an audit event with the administrator
as actor, published terms and withdrawn subjects are read-only, and nothing is deleted."""

from __future__ import annotations

import datetime as dt
import re
import time
from html.parser import HTMLParser

import pytest

from accord.audit.models import Event
from accord.catalog.models import (
    CustodianStaff,
    Dataset,
    LicenseVersion,
    PublicationRule,
    Subject,
)
from tests import factories

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would submit from the admin's main form, as it is shown."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if a.get("type") in ("checkbox", "radio") else ""
            self.values.setdefault(name, []).append(a.get("value") or default)
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][0] += data.removeprefix("\n")


def form_values(client, url: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    parser = _FormValues()
    parser.feed(response.content.decode())
    parser.values.pop("csrfmiddlewaretoken", None)
    return parser.values


def submit(client, url: str, changes: dict[str, str | list[str]]):
    data = form_values(client, url)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    data["_save"] = ["Save"]
    return client.post(url, data)


@pytest.fixture
def superuser(db):
    return factories.UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def age_sign_in(client, settings) -> None:
    """Make the session's sign-in older than sensitive actions accept."""
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60
    session["account_authentication_methods"] = records
    session.save()


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(event_type=event_type).order_by("seq"))


def saved(response) -> bool:
    return response.status_code == 302 and "/change/" not in response["Location"]


def errors(response) -> str:
    """The admin's error messages on a page it showed again instead of saving."""
    return " | ".join(
        re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    )


# --- Staff roles ------------------------------------------------------------------------------


def test_changing_a_staff_role_in_the_admin_is_audited(admin_client, superuser, custodian, staff):
    url = f"/admin/catalog/custodian/{custodian.pk}/change/"
    response = submit(admin_client, url, {"memberships-0-role": "data_manager"})

    assert saved(response), errors(response)
    assert CustodianStaff.objects.get(user=staff).role == "data_manager"
    (event,) = events("catalog:staff:set-role")
    assert event.actor_id == superuser.pk
    assert event.details["changes"]["role"] == {"before": "reviewer", "after": "data_manager"}


def test_adding_and_removing_staff_in_the_admin_is_audited(admin_client, custodian, staff):
    newcomer = factories.UserFactory()
    url = f"/admin/catalog/custodian/{custodian.pk}/change/"
    response = submit(
        admin_client,
        url,
        {
            "memberships-TOTAL_FORMS": "2",
            "memberships-0-DELETE": "on",
            "memberships-1-user": str(newcomer.pk),
            "memberships-1-role": "reviewer",
            "memberships-1-custodian": str(custodian.pk),
        },
    )

    assert saved(response), errors(response)
    assert list(CustodianStaff.objects.values_list("user_id", flat=True)) == [newcomer.pk]
    roles = {
        e.details["user_id"]: e.details["changes"]["role"] for e in events("catalog:staff:set-role")
    }
    assert roles == {
        staff.pk: {"before": "reviewer", "after": None},
        newcomer.pk: {"before": None, "after": "reviewer"},
    }


def test_a_role_change_in_the_admin_needs_a_recent_sign_in(
    admin_client, custodian, staff, settings
):
    url = f"/admin/catalog/custodian/{custodian.pk}/change/"
    data = form_values(admin_client, url)
    age_sign_in(admin_client, settings)

    data["memberships-0-role"] = ["admin"]
    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert "/reauthenticate/" in response["Location"] or "/2fa/" in response["Location"]
    assert CustodianStaff.objects.get(user=staff).role == "reviewer"
    assert events("catalog:staff:set-role") == []


def test_a_custodian_cannot_be_deleted_in_the_admin(admin_client, custodian, staff):
    response = admin_client.post(
        f"/admin/catalog/custodian/{custodian.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert CustodianStaff.objects.filter(user=staff).exists()


# --- Datasets ---------------------------------------------------------------------------------


def test_editing_a_dataset_in_the_admin_is_audited(admin_client, dataset):
    url = f"/admin/catalog/dataset/{dataset.pk}/change/"
    response = submit(admin_client, url, {"summary": "Now with thermal video."})

    assert saved(response), errors(response)
    dataset.refresh_from_db()
    assert dataset.summary == "Now with thermal video."
    (event,) = events("catalog:dataset:update")
    assert event.details["changes"] == {
        "summary": {"before": "A synthetic test dataset.", "after": "Now with thermal video."}
    }


def test_adding_a_dataset_in_the_admin_is_audited(admin_client, custodian):
    response = submit(
        admin_client,
        "/admin/catalog/dataset/add/",
        {
            "custodian": str(custodian.pk),
            "slug": "thermal",
            "name": "Thermal faces",
            "summary": "Synthetic thermal faces.",
            "description": "Synthetic.",
            "modalities": "[]",
            "variants-TOTAL_FORMS": "0",
            "variants-INITIAL_FORMS": "0",
        },
    )
    assert saved(response), errors(response)
    dataset = Dataset.objects.get(slug="thermal")
    (event,) = events("catalog:dataset:create")
    assert event.dataset_id == dataset.pk


# --- Subjects ---------------------------------------------------------------------------------


def test_adding_a_subject_in_the_admin_is_audited(admin_client, dataset):
    response = submit(
        admin_client, "/admin/catalog/subject/add/", {"dataset": str(dataset.pk), "code": "s42"}
    )
    assert saved(response), errors(response)
    assert dataset.subjects.get().code == "s42"
    assert len(events("catalog:subject:add")) == 1


def test_withdrawing_a_subject_in_the_admin_is_audited_and_then_read_only(admin_client, dataset):
    subject = factories.SubjectFactory(dataset=dataset)
    url = f"/admin/catalog/subject/{subject.pk}/change/"
    response = submit(
        admin_client,
        url,
        {"status": "withdrawn", "withdrawal_reason": "Asked by letter"},
    )

    assert saved(response), errors(response)
    subject.refresh_from_db()
    assert subject.status == Subject.Status.WITHDRAWN
    assert subject.withdrawn_at is not None
    assert len(events("catalog:subject:withdraw")) == 1
    refused = admin_client.post(url, {"status": "active", "withdrawal_reason": ""})
    assert refused.status_code == 403
    subject.refresh_from_db()
    assert subject.status == Subject.Status.WITHDRAWN


def test_withdrawing_without_a_reason_is_refused_in_the_admin(admin_client, dataset):
    subject = factories.SubjectFactory(dataset=dataset)
    response = submit(
        admin_client, f"/admin/catalog/subject/{subject.pk}/change/", {"status": "withdrawn"}
    )
    assert response.status_code == 200
    assert "Say why consent was withdrawn" in errors(response), errors(response)
    subject.refresh_from_db()
    assert subject.status == Subject.Status.ACTIVE
    assert events("catalog:subject:withdraw") == []


# --- Publication rules ------------------------------------------------------------------------


def test_changing_a_publication_rule_in_the_admin_is_audited(admin_client, dataset):
    s1 = factories.SubjectFactory(dataset=dataset, code="s01")
    s2 = factories.SubjectFactory(dataset=dataset, code="s02")
    rule = PublicationRule.objects.create(dataset=dataset, mode="allow")
    rule.subjects.set([s1])
    url = f"/admin/catalog/publicationrule/{rule.pk}/change/"

    response = submit(admin_client, url, {"subjects": [str(s1.pk), str(s2.pk)], "notice": "©"})

    assert saved(response), errors(response)
    assert set(rule.subjects.values_list("code", flat=True)) == {"s01", "s02"}
    (event,) = events("catalog:publication-rule:update")
    assert event.details["changes"] == {
        "subjects": {"before": ["s01"], "after": ["s01", "s02"]},
        "notice": {"before": "", "after": "©"},
    }


# --- Licence versions -------------------------------------------------------------------------


def test_drafting_terms_in_the_admin_is_audited(admin_client, dataset):
    response = submit(
        admin_client,
        "/admin/catalog/licenseversion/add/",
        {
            "dataset": str(dataset.pk),
            "title": "Licence agreement",
            "effective_date": "2030-01-01",
            "clauses-TOTAL_FORMS": "1",
            "clauses-INITIAL_FORMS": "0",
            "clauses-0-position": "0",
            "clauses-0-code": "C1",
            "clauses-0-title": "No commercial use",
            "clauses-0-text": "Not for commercial use.",
            "clauses-0-enforcement": "attestation",
        },
    )
    assert saved(response), errors(response)
    version = LicenseVersion.objects.get(dataset=dataset)
    assert version.status == LicenseVersion.Status.DRAFT
    assert [c.code for c in version.clauses.all()] == ["C1"]
    (event,) = events("catalog:licence-version:draft")
    assert event.details["changes"]["clauses"]["after"][0]["code"] == "C1"


def test_publishing_terms_in_the_admin_is_audited(admin_client, dataset):
    draft = factories.LicenseVersionFactory(dataset=dataset, status=LicenseVersion.Status.DRAFT)
    factories.ClauseFactory(license_version=draft)
    response = admin_client.post(
        "/admin/catalog/licenseversion/",
        {"action": "publish", "_selected_action": [str(draft.pk)]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == LicenseVersion.Status.PUBLISHED
    assert len(events("catalog:licence-version:publish")) == 1


def test_publishing_terms_in_the_admin_needs_a_recent_sign_in(admin_client, dataset, settings):
    draft = factories.LicenseVersionFactory(dataset=dataset, status=LicenseVersion.Status.DRAFT)
    factories.ClauseFactory(license_version=draft)
    age_sign_in(admin_client, settings)
    response = admin_client.post(
        "/admin/catalog/licenseversion/",
        {"action": "publish", "_selected_action": [str(draft.pk)]},
    )
    assert response.status_code == 302
    assert "/reauthenticate/" in response["Location"] or "/2fa/" in response["Location"]
    draft.refresh_from_db()
    assert draft.status == LicenseVersion.Status.DRAFT


def test_published_terms_are_read_only_in_the_admin(admin_client, dataset):
    version = factories.LicenseVersionFactory(dataset=dataset, title="Licence agreement")
    clause = factories.ClauseFactory(license_version=version, code="C1", text="Original words.")
    url = f"/admin/catalog/licenseversion/{version.pk}/change/"

    page = admin_client.get(url).content.decode()
    assert 'name="title"' not in page and 'name="clauses-0-text"' not in page
    assert "Original words." in page

    response = admin_client.post(
        url,
        {
            "title": "Rewritten",
            "effective_date": "2024-01-01",
            "clauses-TOTAL_FORMS": "1",
            "clauses-INITIAL_FORMS": "1",
            "clauses-0-id": str(clause.pk),
            "clauses-0-license_version": str(version.pk),
            "clauses-0-code": "C1",
            "clauses-0-title": "Anything goes",
            "clauses-0-text": "Any use.",
            "clauses-0-enforcement": "attestation",
        },
    )
    assert response.status_code == 403
    version.refresh_from_db()
    clause.refresh_from_db()
    assert (version.title, clause.text) == ("Licence agreement", "Original words.")
    deleted = admin_client.post(
        f"/admin/catalog/licenseversion/{version.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert Event.objects.filter(event_type__startswith="catalog:licence-version:").count() == 0


def test_a_draft_keeps_its_number_and_changes_are_audited(admin_client, dataset):
    draft = factories.LicenseVersionFactory(
        dataset=dataset, version=3, status=LicenseVersion.Status.DRAFT, title="Draft"
    )
    factories.ClauseFactory(license_version=draft, code="C1")
    response = submit(
        admin_client,
        f"/admin/catalog/licenseversion/{draft.pk}/change/",
        {"title": "Draft v3", "effective_date": dt.date(2031, 1, 1).isoformat()},
    )
    assert saved(response), errors(response)
    draft.refresh_from_db()
    assert (draft.version, draft.title) == (3, "Draft v3")
    assert [c.code for c in draft.clauses.all()] == ["C1"]
    (event,) = events("catalog:licence-version:update")
    assert set(event.details["changes"]) == {"title", "effective_date"}
