"""The rules policy holds once: who holds a licence (for the entitlement sync and downloads
alike), who may list a variant's files (the catalogue API and the downloads API answer the
same), and the hooks publications and terms changes will ask."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.access import policy
from tests import factories
from tests.access.factories import licence_for, remove_member, revoke_licence
from tests.roles import bearer

pytestmark = pytest.mark.django_db


def test_licence_holders_are_the_signer_and_active_members_while_in_force(licence, member):
    assert set(policy.licence_holders(licence)) == {licence.signer, member}
    remove_member(licence, member)
    assert set(policy.licence_holders(licence)) == {licence.signer}
    revoke_licence(licence)
    assert not policy.licence_holders(licence).exists()


def test_a_member_lists_the_same_files_in_the_catalogue_and_downloads_apis(
    client, licence, member, variant
):
    auth = bearer(member)
    downloads = client.get(reverse("api:list_files", kwargs={"slug": variant.slug}), **auth)
    client.force_login(member)
    catalogue = client.get(f"/api/v1/variants/{variant.slug}/files")
    assert downloads.status_code == catalogue.status_code == 200
    listed = catalogue.json()
    rows = listed["items"] if isinstance(listed, dict) else listed
    assert [f["path"] for f in downloads.json()] == [f["path"] for f in rows]


def test_a_licensee_still_lists_files_of_a_dataset_taken_out_of_the_catalogue(
    client, licence, member, variant
):
    variant.dataset.is_published = False
    variant.dataset.save()
    client.force_login(member)
    assert client.get(f"/api/v1/variants/{variant.slug}/files").status_code == 200
    outsider = factories.UserFactory()
    client.force_login(outsider)
    assert client.get(f"/api/v1/variants/{variant.slug}/files").status_code == 404
    assert not policy.can_list_files(outsider, variant)


def test_only_holders_of_a_licence_for_the_dataset_may_register_a_publication(
    licence, member, variant
):
    dataset = variant.dataset
    assert policy.can_register_publication(licence.signer, dataset)
    assert policy.can_register_publication(member, dataset)
    assert not policy.can_register_publication(factories.UserFactory(), dataset)
    remove_member(licence, member)
    assert not policy.can_register_publication(member, dataset)


def test_terms_are_managed_by_custodian_administrators_only(variant):
    dataset = variant.dataset
    admin = factories.StaffFactory(custodian=dataset.custodian, admin=True).user
    manager = factories.StaffFactory(custodian=dataset.custodian, data_manager=True).user
    other = factories.StaffFactory(admin=True).user
    assert policy.can_manage_terms(admin, dataset)
    assert not policy.can_manage_terms(manager, dataset)
    assert not policy.can_manage_terms(other, dataset)


def test_the_newest_usable_entitlement_is_the_one_downloads_use(licence, member, variant):
    newer = licence_for(variants=[variant], members=[member])
    chosen = policy.entitlements_in_use(member)[variant.pk]
    assert chosen.licence == newer
    assert policy.entitlement_for_variant(member, variant) == chosen
