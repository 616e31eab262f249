"""An installation upgraded from the code where licences lived in the agreements app keeps
every licence, member and entitlement, and every dataset's application rules (once called
AccessPolicy), readable through the new models."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accord.access.models import Entitlement
from accord.agreements.models import ApplicationRules
from accord.licences.models import Licence, LicenceMember
from tests import factories

# The leaf migrations of the apps this move touches, as they were before it.
BEFORE = [
    ("agreements", "0006_signed_agreement_malware_scan"),
    ("access", "0001_entitlements"),
    ("licences", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # An app migrated to zero (None) has no node of its own in the state.
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_licences_members_entitlements_and_rules_survive_the_move():
    signer = factories.UserFactory(email="prof.ada@uni-example.edu")
    member_user = factories.UserFactory(email="sam@uni-example.edu")
    dataset = factories.DatasetFactory()
    variant = factories.VariantFactory(dataset=dataset)
    terms = factories.LicenseVersionFactory(dataset=dataset)

    old = _migrate(BEFORE)
    policy = old.get_model("agreements", "AccessPolicy").objects.create(
        dataset_id=dataset.pk, members_allowed=True, stored_filename_rule="{reference}.pdf"
    )
    old.get_model("agreements", "MemberField").objects.create(
        policy=policy, key="registration_id", label="Registration ID"
    )
    licence = old.get_model("agreements", "Licence").objects.create(
        reference="L-2026-0001",
        dataset_id=dataset.pk,
        license_version_id=terms.pk,
        signer_id=signer.pk,
        status="suspended",
        end_reason="looked into",
    )
    licence.variants.add(variant.pk)
    member = old.get_model("agreements", "LicenceMember").objects.create(
        licence=licence,
        user_id=member_user.pk,
        email=member_user.email,
        full_name="Sam Student",
        extra={"registration_id": "REG-7"},
        status="active",
    )
    entitlement = old.get_model("access", "Entitlement").objects.create(
        user_id=member_user.pk, variant_id=variant.pk, licence=licence, license_version_id=terms.pk
    )

    _migrate(_leaf_nodes())

    moved = Licence.objects.get(pk=licence.pk)
    assert (moved.reference, moved.status, moved.end_reason) == (
        "L-2026-0001",
        "suspended",
        "looked into",
    )
    assert (moved.dataset, moved.signer, moved.license_version) == (dataset, signer, terms)
    assert list(moved.variants.all()) == [variant]
    kept = LicenceMember.objects.get(pk=member.pk)
    assert (kept.licence, kept.user, kept.extra) == (
        moved,
        member_user,
        {"registration_id": "REG-7"},
    )
    assert Entitlement.objects.get(pk=entitlement.pk).licence == moved
    assert list(member_user.entitlements.values_list("licence__reference", flat=True)) == [
        "L-2026-0001"
    ]
    rules = ApplicationRules.objects.get(pk=policy.pk)
    assert rules.dataset == dataset and rules.stored_filename_rule == "{reference}.pdf"
    assert [f.key for f in dataset.application_rules.member_fields.all()] == ["registration_id"]
