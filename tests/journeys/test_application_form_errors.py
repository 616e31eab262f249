"""An incomplete application says what is missing next to each field, with one summary line
at the top linking to them, and keeps what was typed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accord.agreements import services
from accord.agreements.content import Details

pytestmark = pytest.mark.django_db


def _empty_draft(student, dataset):
    return services.application_create(actor=student, dataset=dataset, details=Details())


def _detail(application) -> str:
    return reverse("agreements:application_detail", args=[application.reference])


def _error_after(page: str, field_id: str) -> str:
    """The error list shown right after the field with ``field_id``."""
    start = page.index(f'id="{field_id}"')
    match = re.search(
        r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page[start : start + 3000], re.S
    )
    assert match, f"no error next to {field_id}"
    return match.group(1)


def test_incomplete_submit_marks_each_field_and_keeps_what_was_typed(client, student, casmemg):
    application = _empty_draft(student, casmemg)
    client.force_login(student)
    response = client.post(
        _detail(application),
        {"purpose": "Spotting micro-expressions in EMG.", "signer_name": "", "submit": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Fill in the signer&#x27;s name." in _error_after(page, "id_signer_name")
    assert "Attest clause C1" in _error_after(page, "id_attest_C1")
    assert "Spotting micro-expressions in EMG." in page
    application.refresh_from_db()
    assert application.purpose == "Spotting micro-expressions in EMG."
    assert application.state == "draft"


def test_incomplete_submit_shows_one_summary_line_linking_to_the_fields(client, student, casmemg):
    application = _empty_draft(student, casmemg)
    client.force_login(student)
    page = client.post(_detail(application), {"submit": "1"}).content.decode()
    assert page.count('class="msg error"') == 1
    summary = re.search(r'<p class="msg error"[^>]*id="error-summary">(.*?)</p>', page, re.S)
    assert summary
    assert 'href="#id_signer_name"' in summary.group(1)
    assert 'href="#id_file"' in summary.group(1)


def test_submit_action_on_an_incomplete_application_comes_back_with_the_fields_marked(
    client, student, casmemg
):
    application = _empty_draft(student, casmemg)
    client.force_login(student)
    response = client.post(
        reverse("agreements:application_submit", args=[application.reference]), follow=True
    )
    page = response.content.decode()
    assert page.count('class="msg error"') == 1
    assert "Describe the research purpose." in _error_after(page, "id_purpose")


def test_a_dataset_with_a_single_variant_has_it_chosen_already(client, student, casmemg):
    (variant,) = casmemg.variants.all()
    client.force_login(student)
    page = client.get(reverse("agreements:application_start", args=[casmemg.slug])).content.decode()
    box = re.search(rf'<input[^>]*value="{variant.slug}"[^>]*>', page)
    assert box and "checked" in box.group(0)
