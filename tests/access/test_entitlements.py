"""Entitlements follow the licence (sync) and the policy re-checks it at use time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accord.access import policy
from accord.access.models import Entitlement
from accord.access.services import entitlements_sync_for_licence
from accord.audit.models import Event
from accord.catalog.models import DataFile
from accord.licences.models import Licence
from tests import factories
from tests.access.factories import (
    add_member,
    licence_for,
    remove_member,
    revoke_licence,
    variant_with_files,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(dataset, tmp_path):
    return variant_with_files(dataset, tmp_path, {"a.bin": b"a" * 10, "sub/b.csv": b"x,y\n"})


@pytest.fixture
def member():
    return factories.UserFactory()


@pytest.fixture
def licence(variant, member):
    return licence_for(variants=[variant], members=[member])


def test_approved_licence_entitles_signer_and_active_members(licence, variant, member):
    rows = Entitlement.objects.filter(licence=licence, revoked_at__isnull=True)
    assert {r.user_id for r in rows} == {licence.signer_id, member.pk}
    assert all(r.license_version_id == licence.license_version_id for r in rows)
    assert list(policy.entitled_variants(member)) == [variant]
    assert policy.downloadable_files(member).count() == 2


def test_sync_is_idempotent_and_audited_once(licence):
    before = Event.objects.filter(event_type="access:entitlement:sync").count()
    result = entitlements_sync_for_licence(licence=licence, reason="again")
    assert not result.changed
    assert Event.objects.filter(event_type="access:entitlement:sync").count() == before


def test_removed_member_loses_access_at_once_even_before_sync(licence, variant, member):
    data_file = variant.files.first()
    assert policy.can_download(member, data_file)
    remove_member(licence, member, sync=False)
    assert not policy.can_download(member, data_file)
    assert not policy.entitled_variants(member).exists()


def test_sync_revokes_removed_member_with_reason_and_keeps_history(licence, member):
    remove_member(licence, member)
    row = Entitlement.objects.get(licence=licence, user=member)
    assert row.revoked_at is not None
    assert row.revoke_reason == "removed by the signer"


def test_readded_member_gets_a_new_entitlement_row(licence, member):
    remove_member(licence, member)
    from accord.licences.models import LicenceMember

    LicenceMember.objects.filter(licence=licence, user=member).update(status="active")
    entitlements_sync_for_licence(licence=licence, reason="re-added")
    assert Entitlement.objects.filter(licence=licence, user=member).count() == 2
    assert policy.entitled_variants(member).exists()


def test_revoked_licence_bites_before_and_after_sync(licence, variant, member):
    revoke_licence(licence, sync=False)
    assert not policy.can_download(licence.signer, variant.files.first())
    entitlements_sync_for_licence(licence=licence, reason="breach of S1")
    assert not Entitlement.objects.filter(licence=licence, revoked_at__isnull=True).exists()
    assert set(
        Entitlement.objects.filter(licence=licence).values_list("revoke_reason", flat=True)
    ) == {"breach of S1"}


def test_expired_licence_gives_nothing(variant, member):
    licence = licence_for(
        variants=[variant], members=[member], expires_at=timezone.now() + timedelta(days=1)
    )
    assert policy.entitled_variants(member).exists()
    Licence.objects.filter(pk=licence.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not policy.entitled_variants(member).exists()


def test_entitlement_carries_the_licence_expiry(variant):
    until = timezone.now() + timedelta(days=30)
    licence = licence_for(variants=[variant], expires_at=until)
    assert Entitlement.objects.get(licence=licence).valid_until == until


def test_user_of_another_licence_sees_nothing(licence, dataset, tmp_path):
    other_variant = variant_with_files(dataset, tmp_path, {"z.bin": b"z"})
    other = licence_for(variants=[other_variant])
    assert not policy.can_download(other.signer, licence.variants.first().files.first())
    assert list(policy.entitled_variants(other.signer)) == [other_variant]


def test_variant_dropped_from_licence_bites_at_once(licence, variant, member):
    licence.variants.clear()
    assert not policy.entitled_variants(member).exists()


def test_deactivated_account_and_anonymous_get_nothing(licence, member):
    from django.contrib.auth.models import AnonymousUser

    member.is_active = False
    member.save()
    assert not policy.usable_entitlements(member).exists()
    assert not policy.usable_entitlements(AnonymousUser()).exists()


def test_infected_file_is_never_downloadable(licence, variant, member):
    data_file = variant.files.first()
    DataFile.objects.filter(pk=data_file.pk).update(scan_status=DataFile.ScanStatus.INFECTED)
    data_file.refresh_from_db()
    assert not policy.can_download(member, data_file)
    assert policy.entitlement_for_file(member, data_file) is None


def test_new_terms_close_old_rows_and_open_new_ones(licence, dataset, member):
    v2 = factories.LicenseVersionFactory(dataset=dataset, version=2)
    Licence.objects.filter(pk=licence.pk).update(license_version=v2)
    licence.refresh_from_db()
    entitlements_sync_for_licence(licence=licence, reason="accepted v2")
    open_rows = Entitlement.objects.filter(licence=licence, revoked_at__isnull=True)
    assert {r.license_version_id for r in open_rows} == {v2.pk}
    assert policy.entitled_variants(member).exists()


def test_list_and_check_agree(licence, variant, member, outsider):
    for user in (member, outsider, licence.signer):
        listed = set(policy.downloadable_files(user).values_list("pk", flat=True))
        for data_file in DataFile.objects.all():
            assert policy.can_download(user, data_file) == (data_file.pk in listed)


def test_add_member_grants(licence, variant):
    newcomer = factories.UserFactory()
    assert not policy.entitled_variants(newcomer).exists()
    add_member(licence, newcomer)
    assert policy.entitled_variants(newcomer).exists()


def test_api_lists_own_entitlements_with_why_they_ended(client, licence, member):
    from django.urls import reverse

    client.force_login(member)
    url = reverse("api:my_entitlements")
    assert [e["usable"] for e in client.get(url).json()] == [True]
    remove_member(licence, member)
    rows = client.get(url).json()
    assert [(e["usable"], e["revoke_reason"]) for e in rows] == [(False, "removed by the signer")]
    client.logout()
    assert client.get(url).status_code == 401
