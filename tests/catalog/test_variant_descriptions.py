"""Custodian staff write a variant's description and its Chinese and Finnish translations on
their catalogue pages, as they do the dataset's; readers see their language's, else English."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.audit.models import Event
from accord.catalog.models import Variant
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(dataset):
    return factories.VariantFactory(dataset=dataset, name="Full set", description="All clips.")


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


def _post(client, variant, **values):
    prefix = f"variant-{variant.pk}"
    data = {"variant": variant.pk, f"{prefix}-description": "All clips."}
    data.update({f"{prefix}-{k}": v for k, v in values.items()})
    return client.post(reverse("catalog:staff_variants", args=[variant.dataset.slug]), data)


def test_staff_translate_a_variant_description_and_the_change_is_audited(
    client, variant, data_manager
):
    client.force_login(data_manager)
    page = client.get(reverse("catalog:staff_variants", args=[variant.dataset.slug]))
    assert "Description in Simplified Chinese" in page.content.decode()
    response = _post(client, variant, description_zh_hans="全部片段。")
    assert response.status_code == 302
    variant = Variant.objects.get(pk=variant.pk)
    assert variant.description_zh_hans == "全部片段。"
    assert variant.description_en == "All clips."
    (event,) = Event.objects.filter(event_type="catalog:variant:update")
    assert event.details["changes"] == {
        "description_zh_hans": {"before": "", "after": "全部片段。"}
    }
    assert data_manager.email not in event.payload


def test_readers_see_the_variant_description_in_their_language_else_english(
    client, variant, data_manager
):
    client.force_login(data_manager)
    _post(client, variant, description_fi="Kaikki leikkeet.")
    client.logout()
    url = reverse("catalog:dataset_detail", args=[variant.dataset.slug])
    finnish = client.get(url, HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Kaikki leikkeet." in finnish
    assert "All clips." in chinese and "Kaikki" not in chinese


def test_another_custodians_staff_get_404_and_nothing_changes(client, variant, other_custodian):
    client.force_login(factories.StaffFactory(custodian=other_custodian, admin=True).user)
    assert (
        client.get(reverse("catalog:staff_variants", args=[variant.dataset.slug])).status_code
        == 404
    )
    assert _post(client, variant, description_fi="x").status_code == 404
    assert Variant.objects.get(pk=variant.pk).description_fi is None


def test_a_variant_of_another_dataset_cannot_be_posted(client, variant, custodian, data_manager):
    other = factories.VariantFactory(dataset=factories.DatasetFactory(custodian=custodian))
    client.force_login(data_manager)
    response = client.post(
        reverse("catalog:staff_variants", args=[variant.dataset.slug]),
        {"variant": other.pk, f"variant-{other.pk}-description_fi": "x"},
    )
    assert response.status_code == 404
    assert Variant.objects.get(pk=other.pk).description_fi is None
