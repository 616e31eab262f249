"""The licensee register as CSV: the register's own rows and filters, for the staff's custodian
only, safe to open in a spreadsheet, and each export in the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from accord.audit.models import Event
from accord.licences.models import Licence
from tests import factories
from tests.access.factories import licence_for

pytestmark = pytest.mark.django_db

CSV = reverse("overview:register_csv")


@pytest.fixture
def variant(dataset):
    return factories.VariantFactory(dataset=dataset, slug="smic-e", name="SMIC-E")


@pytest.fixture
def ours(variant):
    signer = factories.UserFactory(email="prof@uni-example.edu", full_name="Prof Signer")
    return licence_for(variants=[variant], signer=signer)


@pytest.fixture
def theirs(other_custodian):
    dataset = factories.DatasetFactory(custodian=other_custodian, slug="casme")
    return licence_for(variants=[factories.VariantFactory(dataset=dataset, slug="casme-v")])


def _rows(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_staff_download_their_custodians_register(client, staff, ours, theirs):
    client.force_login(staff)

    rows = _rows(client.get(CSV))

    assert [r["reference"] for r in rows] == [ours.reference]
    assert rows[0]["signer_email"] == "prof@uni-example.edu"
    assert rows[0]["variants"] == "smic-e" and rows[0]["status"] == "active"


def test_the_export_applies_the_registers_filters(client, staff, variant, ours):
    revoked = licence_for(variants=[variant], status=Licence.Status.REVOKED)
    client.force_login(staff)

    assert [r["reference"] for r in _rows(client.get(CSV, {"status": "revoked"}))] == [
        revoked.reference
    ]
    assert [r["reference"] for r in _rows(client.get(CSV, {"q": "prof@uni"}))] == [ours.reference]
    assert _rows(client.get(CSV, {"dataset": "no-such-dataset"})) == []


def test_the_register_page_links_to_the_export_with_its_filters(client, staff, ours):
    client.force_login(staff)
    page = client.get(reverse("agreements:licence_register"), {"status": "active"}).content
    assert f'href="{CSV}?status=active"' in page.decode()


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_cell_that_a_spreadsheet_would_run_is_made_text(client, staff, variant, start):
    name = f'{start}HYPERLINK("http://evil.example","x")'
    licence_for(variants=[variant], signer=factories.UserFactory(full_name=name))
    client.force_login(staff)

    (row,) = _rows(client.get(CSV))

    assert row["signer_name"] == "'" + name


def test_each_export_is_audited(client, staff, custodian, ours):
    client.force_login(staff)
    client.get(CSV, {"status": "active"})

    event = Event.objects.get(event_type="licences:register:export")
    assert event.actor_id == staff.pk and event.custodian_id == custodian.pk
    assert event.details["filters"]["status"] == "active" and event.details["rows"] == 1


@pytest.mark.parametrize("who", ["outsider", "member"])
def test_people_who_are_not_staff_get_no_export(client, who, outsider, ours):
    client.force_login(outsider if who == "outsider" else ours.signer)
    assert client.get(CSV).status_code == 404
    assert not Event.objects.filter(event_type="licences:register:export").exists()


def _new_terms(dataset):
    """Every licence of ``dataset`` in force gets a change of terms waiting for an answer."""
    from accord.catalog.services_staff import ClauseText, licence_version_draft
    from accord.core import clock
    from accord.licences.services_terms import terms_publish

    admin = factories.StaffFactory(custodian=dataset.custodian, role="admin").user
    effective = clock.localdate() + dt.timedelta(days=dataset.notice_days)
    draft = licence_version_draft(
        dataset=dataset,
        actor=admin,
        title="Licence agreement",
        effective_date=effective,
        clauses=[ClauseText("C1", "No redistribution", "Do not share the data.")],
    )
    return terms_publish(version=draft, actor=admin)


def test_the_export_says_where_each_licence_stands_in_its_lifecycle(client, clock, staff, variant):
    from accord.licences.services_closeout import deletion_attestation_request

    expiring = licence_for(variants=[variant], expires_at=clock.now() + dt.timedelta(days=10))
    version = _new_terms(variant.dataset)
    revoked = licence_for(variants=[variant], status=Licence.Status.REVOKED)
    deletion_attestation_request(licence=revoked, reason="revoked", actor=None)
    client.force_login(staff)

    rows = {r["reference"]: r for r in _rows(client.get(CSV))}

    row = rows[expiring.reference]
    assert row["terms_version"] == str(version.version - 1)
    assert row["pending_terms_version"] == str(version.version)
    assert row["pending_terms_effective_date"] == version.effective_date.isoformat()
    assert row["pending_terms_state"] == "pending"
    assert row["expires_at"] == expiring.expires_at.isoformat()
    assert row["renewal_state"] == "open"
    assert row["deletion_attestations_outstanding"] == "0"
    row = rows[revoked.reference]
    assert (row["pending_terms_version"], row["pending_terms_state"]) == ("", "")
    assert row["renewal_state"] == "none" and row["expires_at"] == ""
    assert row["deletion_attestations_outstanding"] == "1"


def _queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(CSV).status_code == 200
    return len(ctx)


def test_the_export_costs_the_same_queries_for_1_or_many_licences(client, clock, staff, variant):
    from accord.licences.services_closeout import deletion_attestation_request

    licence_for(variants=[variant])
    client.force_login(staff)
    one = _queries(client)
    for _ in range(8):
        licence = licence_for(
            variants=[variant, factories.VariantFactory(dataset=variant.dataset)],
            members=[factories.UserFactory()],
            expires_at=clock.now() + dt.timedelta(days=5),
        )
        deletion_attestation_request(licence=licence, reason="revoked", actor=None)
    _new_terms(variant.dataset)

    assert _queries(client) == one
