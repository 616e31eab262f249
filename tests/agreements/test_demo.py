import pytest

from accord.agreements.demo import load_demo_agreements
from accord.agreements.models import ApplicationField, ApplicationRules, MemberField
from tests import factories

pytestmark = pytest.mark.django_db


def test_demo_policies_follow_the_mission_and_are_idempotent():
    factories.DatasetFactory(slug="smic", short_name="SMIC")
    factories.DatasetFactory(slug="casmemg", short_name="CASMEMG")
    load_demo_agreements()
    load_demo_agreements()
    casmemg = ApplicationRules.objects.get(dataset__slug="casmemg")
    assert casmemg.stored_filename_rule == "License Agreement for CASMEMG _{signer_name}.pdf"
    assert list(casmemg.member_fields.values_list("label", flat=True)) == [
        "Competition registration ID"
    ]
    smic = ApplicationRules.objects.get(dataset__slug="smic")
    assert smic.publications_required and smic.signer_title_required
    assert ApplicationRules.objects.count() == 2
    assert ApplicationField.objects.count() == 3 and MemberField.objects.count() == 1
