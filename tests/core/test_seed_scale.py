"""``accord seed_scale`` at a tiny factor: the data is what the services would have left (each
licence's holders hold its entitlements), the audit chain it extends verifies, the pages read
it, and a second run refuses instead of doubling the data."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accord.access import policy
from accord.access.models import Entitlement
from accord.accounts.models import User
from accord.audit.models import Event
from accord.audit.services import audit_record
from accord.audit.verify import verify_chain
from accord.catalog.models import DataFile
from accord.demo.scale import STAFF_EMAIL
from accord.licences.models import Licence
from tests.factories import give_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    audit_record(event_type="core:test:before")  # the seed continues an existing chain
    call_command("seed_scale", factor=0.001, json=True)


def test_seeding_builds_every_kind_of_row_at_the_asked_scale(seeded):
    assert User.objects.count() >= 100
    assert Licence.objects.count() == 20
    assert Entitlement.objects.count() == 200 + 4  # and the power user in two more licences
    assert DataFile.objects.count() == 100
    assert Event.objects.count() == 1 + 1000


def test_every_seeded_entitlement_is_usable_by_its_holder(seeded):
    for licence in Licence.objects.all()[:5]:
        holders = set(policy.licence_holders(licence).values_list("pk", flat=True))
        entitled = set(licence.entitlements.values_list("user_id", flat=True))
        assert holders == entitled and len(holders) == 5
    holder = Entitlement.objects.first().user
    assert policy.usable_entitlements(holder).count() == holder.entitlements.count()


def test_the_seeded_audit_chain_verifies(seeded):
    result = verify_chain()
    assert result.ok, str(result)
    assert result.checked == Event.objects.count()


def test_the_pages_read_the_seeded_data(seeded, client):
    holder = Entitlement.objects.first().user
    client.force_login(holder)
    page = client.get(reverse("access:my_access"))
    assert page.status_code == 200
    assert len(page.context["usable"].object_list) == holder.entitlements.count()
    assert client.get(reverse("agreements:my_applications")).status_code == 200
    staff = User.objects.get(email=STAFF_EMAIL)
    give_totp(staff)  # staff sign in with two factors; the seed leaves that to the load run
    client.force_login(staff)
    register = client.get(reverse("agreements:licence_register"))
    assert register.status_code == 200
    assert b"SC-000001" in register.content or b"SC-000020" in register.content


def test_seeding_twice_refuses_with_a_clear_message(seeded):
    with pytest.raises(CommandError, match="already holds scale data"):
        call_command("seed_scale", factor=0.001)
    assert Licence.objects.count() == 20
