"""The staff register (page and API) and the signer's licence API say which terms each
licence is on, which new terms await an answer (and from when they apply), and whether the
licence can be renewed (until when)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.licences.services_terms import terms_publish
from tests import factories
from tests.access.factories import licence_for
from tests.roles import bearer

pytestmark = pytest.mark.django_db
REGISTER = reverse("agreements:licence_register")


@pytest.fixture
def variant(dataset):
    return factories.VariantFactory(dataset=dataset, slug="smic-e", name="SMIC-E")


def _publish(dataset, effective: dt.date):
    admin = factories.StaffFactory(custodian=dataset.custodian, role="admin").user
    draft = licence_version_draft(
        dataset=dataset,
        actor=admin,
        title="Licence agreement",
        effective_date=effective,
        clauses=[ClauseText("C1", "No redistribution", "Do not share the data.")],
    )
    return terms_publish(version=draft, actor=admin)


def test_register_and_apis_show_pending_terms_and_renewal(client, clock, staff, variant):
    clock.travel(to=dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC))
    factories.LicenseVersionFactory(dataset=variant.dataset)
    ending = licence_for(variants=[variant], expires_at=clock.now() + dt.timedelta(days=20))
    lasting = licence_for(variants=[variant])
    effective = dt.date(2030, 4, 15)
    new_terms = _publish(variant.dataset, effective)

    client.force_login(staff)
    page = client.get(REGISTER).content.decode()
    assert page.count(f"v{new_terms.version} pending, effective 2030-04-15") == 2
    assert page.count(">renewal open<") == 1

    rows = {r["reference"]: r for r in client.get("/api/v1/review/licences").json()["items"]}
    pending = {
        "license_version": new_terms.version,
        "effective_date": "2030-04-15",
        "status": "pending",
    }
    assert rows[ending.reference]["pending_terms"] == pending
    assert rows[ending.reference]["license_version"] == new_terms.version - 1
    assert rows[ending.reference]["renewal"] == "open"
    assert rows[ending.reference]["renewal_deadline"].startswith("2030-04-20")
    assert rows[lasting.reference]["renewal"] == "none"
    assert rows[lasting.reference]["renewal_deadline"] is None
    detail = client.get(f"/api/v1/review/licences/{ending.reference}").json()
    assert detail["pending_terms"] == pending and detail["renewal"] == "open"

    client.logout()
    auth = bearer(ending.signer)
    mine = client.get(f"/api/v1/licences/{ending.reference}", **auth).json()
    assert mine["pending_terms"] == pending
    assert mine["expires_at"].startswith("2030-03-21") and mine["renewal"] == "open"
    listed = client.get("/api/v1/licences", **auth).json()
    assert [r["pending_terms"] for r in listed] == [pending]

    # Expired and past the grace period: closed.
    clock.travel(to=dt.datetime(2030, 4, 25, 9, 0, tzinfo=dt.UTC))
    call_command("schedule", stdout=io.StringIO())
    mine = client.get(f"/api/v1/licences/{ending.reference}", **auth).json()
    assert mine["status"] == "expired" and mine["renewal"] == "closed"
