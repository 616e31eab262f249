"""The licensee register as CSV: the register's own rows and filters, for the staff's custodian
only, safe to open in a spreadsheet, and each export in the audit trail."""

from __future__ import annotations

import csv
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
