"""Emails a person receives name the portal, not Django's placeholder site."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sites.models import Site
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_site_row_follows_settings():
    site = Site.objects.get(pk=settings.SITE_ID)
    assert site.name == settings.SITE_NAME
    assert site.domain != "example.com"


def test_verification_email_names_the_portal(client):
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Alex Learner",
            "email": "alex@uni.example",
            "password1": "correct-horse-77",
            "password2": "correct-horse-77",
        },
    )
    assert response.status_code == 302
    body = mail.outbox[-1].body
    assert "example.com" not in body
    assert settings.SITE_NAME in body
