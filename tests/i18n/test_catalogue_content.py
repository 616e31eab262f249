"""Custodian staff translate a dataset's name, summary and description; readers see their
language's text, and the English original where no translation was given."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.catalog.forms import DatasetForm
from accord.catalog.models import Dataset
from tests import factories

pytestmark = pytest.mark.django_db

ZH = "zh-hans,zh;q=0.9"


def test_chinese_reader_sees_the_chinese_summary_when_staff_gave_one(client, dataset):
    Dataset.objects.filter(pk=dataset.pk).update(summary_zh_hans="合成的测试数据集。")
    page = client.get(
        reverse("catalog:dataset_detail", args=[dataset.slug]), HTTP_ACCEPT_LANGUAGE=ZH
    ).content.decode()
    assert "合成的测试数据集。" in page
    assert "A synthetic test dataset." not in page


def test_chinese_reader_sees_the_english_summary_when_none_was_translated(client, dataset):
    page = client.get(
        reverse("catalog:dataset_detail", args=[dataset.slug]), HTTP_ACCEPT_LANGUAGE=ZH
    ).content.decode()
    assert "A synthetic test dataset." in page
    assert '<html lang="zh-hans"' in page


def test_english_reader_keeps_the_original_when_a_translation_exists(client, dataset):
    Dataset.objects.filter(pk=dataset.pk).update(summary_fi="Synteettinen testiaineisto.")
    page = client.get(reverse("catalog:dataset_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A synthetic test dataset." in page
    assert "Synteettinen" not in page


def _form_data(dataset: Dataset, **changes) -> dict:
    initial = DatasetForm.for_dataset(dataset).initial
    data = {k: ("" if v is None else v) for k, v in initial.items() if v is not False}
    return {**data, **changes}


def test_staff_editing_in_chinese_save_a_translation_without_touching_the_english(
    client, custodian, dataset
):
    admin = factories.StaffFactory(custodian=custodian, role="admin").user
    client.force_login(admin)
    response = client.post(
        reverse("catalog:staff_dataset_edit", args=[dataset.slug]),
        _form_data(dataset, summary_zh_hans="合成的测试数据集。"),
        HTTP_ACCEPT_LANGUAGE=ZH,
    )
    assert response.status_code == 302
    dataset = Dataset.objects.get(pk=dataset.pk)
    assert dataset.summary_zh_hans == "合成的测试数据集。"
    assert dataset.summary_en == "A synthetic test dataset."
