"""The custodian's licence register: who holds what, for their own custodian only, filterable,
paginated at a constant number of queries, with each licence's members, entitlements and
audit history; another custodian's staff find nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accord.agreements import selectors
from accord.audit.services import audit_record
from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.core import clock
from accord.licences import selectors as licence_selectors
from accord.licences.models import Licence
from accord.licences.services_terms import terms_publish
from tests import factories
from tests.access.factories import add_member, licence_for, remove_member

pytestmark = pytest.mark.django_db

REGISTER = reverse("agreements:licence_register")


@pytest.fixture
def variant(dataset):
    return factories.VariantFactory(dataset=dataset, slug="smic-e", name="SMIC-E")


@pytest.fixture
def signer(db):
    return factories.UserFactory(email="prof@uni-example.edu", full_name="Prof Signer")


@pytest.fixture
def member(db):
    return factories.UserFactory(email="mia@uni-example.edu", full_name="Mia Member")


@pytest.fixture
def ours(variant, signer, member):
    return licence_for(variants=[variant], signer=signer, members=[member])


@pytest.fixture
def theirs(other_custodian):
    dataset = factories.DatasetFactory(custodian=other_custodian, slug="casme")
    return licence_for(variants=[factories.VariantFactory(dataset=dataset, slug="casme-v")])


def _detail(licence) -> str:
    return reverse("agreements:licence_staff_detail", args=[licence.reference])


def test_register_lists_only_the_staffs_own_custodians_licences(client, staff, ours, theirs):
    client.force_login(staff)
    page = client.get(REGISTER).content.decode()

    assert ours.reference in page and "prof@uni-example.edu" in page and "smic-e" in page
    assert theirs.reference not in page


def test_register_shows_the_number_of_active_members(client, staff, ours, variant):
    gone = factories.UserFactory()
    add_member(ours, gone)
    remove_member(ours, gone)
    client.force_login(staff)

    page = client.get(REGISTER)

    assert page.context["page"][0].active_member_count == 1


def test_another_custodians_staff_get_404_for_our_licence(client, other_staff, ours):
    client.force_login(other_staff)

    assert client.get(_detail(ours)).status_code == 404
    assert ours.reference not in client.get(REGISTER).content.decode()


def test_people_who_are_not_staff_cannot_open_the_register(client, member, ours):
    client.force_login(member)

    assert client.get(REGISTER).status_code == 404
    assert client.get(_detail(ours)).status_code == 404


def test_register_filters_by_status_and_dataset(client, staff, ours, variant):
    other = licence_for(variants=[variant], status=Licence.Status.SUSPENDED)
    client.force_login(staff)

    suspended = client.get(REGISTER, {"status": "suspended"}).content.decode()
    no_such_dataset = client.get(REGISTER, {"dataset": "nope"}).content.decode()

    assert other.reference in suspended and ours.reference not in suspended
    assert ours.reference not in no_such_dataset and "No licence matches" in no_such_dataset


def test_register_finds_a_licence_by_a_members_email(client, staff, ours, variant):
    other = licence_for(variants=[variant])
    client.force_login(staff)

    found = client.get(REGISTER, {"q": "mia@uni"}).content.decode()
    by_signer = client.get(REGISTER, {"q": "PROF@uni-example"}).content.decode()

    assert ours.reference in found and other.reference not in found
    assert ours.reference in by_signer and other.reference not in by_signer


def test_register_is_paginated(client, staff, variant, monkeypatch):
    monkeypatch.setattr(licence_selectors, "LICENCE_PAGE_SIZE", 2)
    made = [licence_for(variants=[variant]) for _ in range(5)]
    client.force_login(staff)

    first = client.get(REGISTER, {"status": "active"})
    last = client.get(REGISTER, {"status": "active", "page": 3})

    assert len(first.context["page"]) == 2 and len(last.context["page"]) == 1
    assert "status=active&amp;page=2" in first.content.decode()
    assert {lic.reference for lic in last.context["page"]} <= {lic.reference for lic in made}


def _publish_new_terms(dataset) -> None:
    """Every licence of ``dataset`` gets a change of terms waiting for an answer."""
    admin = factories.StaffFactory(custodian=dataset.custodian, role="admin").user
    draft = licence_version_draft(
        dataset=dataset,
        actor=admin,
        title="Licence agreement",
        effective_date=clock.localdate() + dt.timedelta(days=dataset.notice_days),
        clauses=[ClauseText("C1", "No redistribution", "Do not share the data.")],
    )
    terms_publish(version=draft, actor=admin)


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx)


def test_register_page_costs_the_same_queries_for_2_or_12_licences(client, staff, variant):
    client.force_login(staff)
    for _ in range(2):
        add_member(licence_for(variants=[variant]), factories.UserFactory())
    few = _queries(client, REGISTER)
    for _ in range(10):
        licence = licence_for(variants=[variant, factories.VariantFactory(dataset=variant.dataset)])
        add_member(licence, factories.UserFactory())
    _publish_new_terms(variant.dataset)
    many = _queries(client, REGISTER)

    assert few == many
    assert client.get(REGISTER).content.decode().count("pending, effective") == 12


def test_api_register_costs_the_same_queries_for_2_or_12_licences(client, staff, variant):
    client.force_login(staff)
    for _ in range(2):
        licence_for(variants=[variant], members=[factories.UserFactory()])
    few = _queries(client, "/api/v1/review/licences")
    for _ in range(10):
        licence_for(variants=[variant], members=[factories.UserFactory()])
    _publish_new_terms(variant.dataset)
    many = _queries(client, "/api/v1/review/licences")

    assert few == many
    rows = client.get("/api/v1/review/licences").json()["items"]
    assert all(row["pending_terms"]["status"] == "pending" for row in rows)


def test_detail_shows_members_with_dates_entitlements_and_audit_history(
    client, staff, ours, member
):
    invited = factories.UserFactory(email="ivy@uni-example.edu")
    from accord.licences.models import LicenceMember

    LicenceMember.objects.create(licence=ours, email=invited.email, full_name="Ivy Invited")
    remove_member(ours, member)
    audit_record(
        event_type="agreements:licence:note",
        actor=staff,
        target=ours,
        custodian_id=ours.dataset.custodian_id,
        licence_id=ours.pk,
        details={"note": "checked"},
    )
    client.force_login(staff)

    page = client.get(_detail(ours)).content.decode()

    assert "Ivy Invited" in page and "Invited" in page
    assert "mia@uni-example.edu" in page and "Removed" in page
    assert 'class="entitlement ended"' in page and "removed by the signer" in page
    assert "agreements:licence:note" in page and "access:entitlement:sync" in page


def test_reviewer_sees_no_revoke_form_but_a_data_manager_does(client, staff, custodian, ours):
    manager = factories.StaffFactory(custodian=custodian, data_manager=True).user
    client.force_login(staff)
    as_reviewer = client.get(_detail(ours)).content.decode()
    client.force_login(manager)
    as_manager = client.get(_detail(ours)).content.decode()

    revoke_url = reverse("agreements:licence_revoke", args=[ours.reference])
    assert revoke_url not in as_reviewer
    assert revoke_url in as_manager


def test_register_is_in_the_staff_navigation_only(client, staff, member):
    client.force_login(staff)
    assert REGISTER.encode() in client.get(reverse("agreements:review_queue")).content
    client.force_login(member)
    assert REGISTER.encode() not in client.get(reverse("agreements:my_applications")).content


def test_api_register_lists_own_licences_with_filters(client, staff, ours, theirs):
    client.force_login(staff)

    listed = client.get("/api/v1/review/licences").json()
    found = client.get("/api/v1/review/licences", {"q": "mia@"}).json()
    bad = client.get("/api/v1/review/licences", {"status": "bogus"})

    assert [row["reference"] for row in listed["items"]] == [ours.reference]
    row = listed["items"][0]
    assert row["variants"] == ["smic-e"] and row["active_members"] == 1
    assert row["signer_email"] == "prof@uni-example.edu" and row["status"] == "active"
    assert found["count"] == 1
    assert bad.status_code == 422 and "'suspended'" in bad.text  # the statuses it takes


def test_api_detail_is_404_for_another_custodians_staff(client, staff, other_staff, ours):
    client.force_login(other_staff)
    assert client.get(f"/api/v1/review/licences/{ours.reference}").status_code == 404
    client.force_login(staff)
    body = client.get(f"/api/v1/review/licences/{ours.reference}").json()
    assert [m["email"] for m in body["members"]] == ["mia@uni-example.edu"]


def test_review_queue_of_all_states_is_paginated_too(client, custodian, monkeypatch):
    from accord.agreements import services
    from accord.agreements.models import Application
    from tests.agreements.factories import policy_dataset, submitted

    monkeypatch.setattr(selectors, "REVIEW_PAGE_SIZE", 2)
    app = submitted(factories.UserFactory(), policy_dataset(custodian))
    for _ in range(4):  # cheap copies in other states: the queue only reads them
        app.pk, app.reference, app.state = None, services.new_reference(), "rejected"
        app.save()
    reviewer = factories.StaffFactory(custodian=custodian).user
    client.force_login(reviewer)
    url = reverse("agreements:review_queue")

    first = client.get(url, {"state": ""})
    last = client.get(url, {"state": "", "page": 3})

    assert Application.objects.count() == 5
    assert len(first.context["page"]) == 2 and len(last.context["page"]) == 1
    assert "Page 1 of 3" in first.content.decode()
    assert "state=&amp;page=2" in first.content.decode()
