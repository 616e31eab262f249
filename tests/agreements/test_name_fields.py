"""A signer's name cannot forge a line in the emails and PDFs it ends up in, nor hide behind
bidi controls: the web form and the API refuse it with an error that says what to fix, and
save nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.agreements.models import Application
from tests.agreements.factories import draft
from tests.roles import bearer

pytestmark = pytest.mark.django_db

FORGED = "Ada Lovelace\r\nApproved by: IP-CAS data custodian"
SPOOFED = "Ada \u202eecalevoL"


@pytest.mark.parametrize("name", [FORGED, SPOOFED])
def test_web_form_refuses_a_signer_name_with_a_line_break_or_bidi_override(
    client, student, casmemg, name
):
    application = draft(student, casmemg)
    client.force_login(student)
    url = reverse("agreements:application_detail", args=[application.reference])
    response = client.post(url, {"signer_name": name, "signer_email": application.signer_email})
    assert response.status_code == 200
    text = response.content.decode()
    assert "must be on one line" in text or "text-direction control character" in text
    assert Application.objects.get(pk=application.pk).signer_name == application.signer_name


def test_web_form_refuses_a_member_name_with_a_line_break(client, student, casmemg):
    application = draft(student, casmemg)
    client.force_login(student)
    url = reverse("agreements:application_detail", args=[application.reference])
    response = client.post(
        url,
        {
            "signer_name": application.signer_name,
            "member-0-full_name": "Sam\nStudent",
            "member-0-email": "sam@uni-example.edu",
        },
    )
    assert response.status_code == 200
    assert "Group member 1: this must be on one line" in response.content.decode()
    assert Application.objects.get(pk=application.pk).members == application.members


@pytest.mark.parametrize("name", [FORGED, SPOOFED])
def test_api_refuses_a_signer_name_with_a_line_break_or_bidi_override(
    client, student, casmemg, name
):
    application = draft(student, casmemg)
    response = client.patch(
        f"/api/v1/applications/{application.reference}",
        {"signer_name": name},
        content_type="application/json",
        **bearer(student),
    )
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["errors"][0]["loc"][-1] == "signer_name"
    assert Application.objects.get(pk=application.pk).signer_name == application.signer_name


def test_api_keeps_a_right_to_left_name_and_drops_stray_direction_marks(client, student, casmemg):
    application = draft(student, casmemg)
    response = client.patch(
        f"/api/v1/applications/{application.reference}",
        {"signer_name": "\u200fנעמה לוי\u200f"},
        content_type="application/json",
        **bearer(student),
    )
    assert response.status_code == 200, response.content
    assert Application.objects.get(pk=application.pk).signer_name == "נעמה לוי"
