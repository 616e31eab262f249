"""Staff browse, filter and export their own custodian's trail, and only theirs."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from accord.accounts.services import api_token_create
from accord.audit.services import audit_record
from accord.audit.verify import verify_chain
from tests import factories


@pytest.fixture
def trail(custodian, other_custodian, dataset, staff):
    other_dataset = factories.DatasetFactory(custodian=other_custodian)
    mine = audit_record(
        event_type="agreements:application:approve",
        actor=staff,
        target=dataset,
        custodian_id=custodian.id,
        dataset_id=dataset.id,
        details={"note": '=HYPERLINK("http://evil")'},
    )
    theirs = audit_record(
        event_type="agreements:application:approve",
        custodian_id=other_custodian.id,
        dataset_id=other_dataset.id,
        details={"secret": "ipcas-only"},
    )
    return mine, theirs


def _data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


def test_staff_see_their_custodians_events_only(client, staff, trail):
    client.force_login(staff)
    page = client.get(reverse("audit:event_list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "agreements:application:approve" in body
    assert "ipcas-only" not in body


def test_outsider_gets_404_for_the_trail(client, outsider, trail):
    client.force_login(outsider)
    assert client.get(reverse("audit:event_list")).status_code == 404


def test_filter_by_user_and_date(client, staff, trail):
    client.force_login(staff)
    page = client.get(reverse("audit:event_list"), {"user": "nobody@example.org"})
    assert "No events match" in page.content.decode()
    page = client.get(reverse("audit:event_list"), {"since": "2999-01-02", "until": "2999-01-01"})
    assert "swap the two dates" in page.content.decode()


def test_reviewer_may_not_export(client, staff, trail):
    client.force_login(staff)
    assert client.get(reverse("audit:event_export", args=["csv"])).status_code == 404


def test_csv_export_is_own_custodian_only_and_formula_safe(client, custodian, trail):
    manager = _data_manager(custodian)
    client.force_login(manager)
    response = client.get(reverse("audit:event_export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["seq"] for r in rows] == [str(trail[0].seq)]
    assert "ipcas-only" not in rows[0]["details"]
    assert rows[0]["hash"] == trail[0].hash


def test_json_export_is_reverifiable_and_the_export_is_audited(client, custodian, trail):
    manager = _data_manager(custodian)
    client.force_login(manager)
    response = client.get(reverse("audit:event_export", args=["json"]))
    events = json.loads(b"".join(response.streaming_content))
    assert [e["seq"] for e in events] == [trail[0].seq]
    assert events[0]["prev_hash"] and events[0]["hash"] == trail[0].hash
    from accord.audit.models import Event

    exported = Event.objects.get(event_type="audit:trail:export")
    assert exported.actor_id == manager.id and exported.custodian_id == custodian.id
    assert verify_chain().ok


def test_api_lists_own_events_and_404s_for_non_staff(client, staff, outsider, trail):
    token = api_token_create(user=staff, name="t").secret
    r = client.get("/api/v1/audit/events", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
    assert [e["seq"] for e in r.json()["items"]] == [trail[0].seq]
    token = api_token_create(user=outsider, name="t").secret
    r = client.get("/api/v1/audit/events", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 404
