"""The staff catalogue tabs of a dataset show "Terms" only to staff the terms page lets in: a
data manager without the terms permission does not get a link that answers 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def _tabs(client, user, dataset) -> str:
    client.force_login(user)
    page = client.get(reverse("catalog:staff_dataset_edit", args=[dataset.slug]))
    assert page.status_code == 200
    return page.content.decode()


def test_terms_tab_shown_to_staff_with_the_terms_permission(client, custodian, dataset):
    admin = factories.StaffFactory(custodian=custodian, role="admin").user

    assert reverse("catalog:staff_terms", args=[dataset.slug]) in _tabs(client, admin, dataset)


def test_terms_tab_hidden_from_a_data_manager_without_the_terms_permission(
    client, custodian, dataset
):
    data_manager = factories.StaffFactory(custodian=custodian, data_manager=True).user
    terms_url = reverse("catalog:staff_terms", args=[dataset.slug])

    page = _tabs(client, data_manager, dataset)

    assert reverse("catalog:staff_subjects", args=[dataset.slug]) in page
    assert terms_url not in page
    assert client.get(terms_url).status_code == 404
