"""Error pages look like Accord and tell the person what to do next."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_404_is_an_accord_page_with_a_way_on(client):
    response = client.get("/datasets/no-such-dataset/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found · Accord</title>" in html
    assert reverse("catalog:dataset_list") in html
    assert reverse("account_login") in html


def test_404_for_a_signed_in_person_points_to_their_applications(client, outsider):
    client.force_login(outsider)
    html = client.get("/apply/review/").content.decode()
    assert "Page not found" in html
    assert 'href="/apply/"' in html


def test_csrf_failure_says_reload_and_retry():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "a@b.example", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This form expired" in html
    assert "reload the page" in html
    assert 'class="site"' in html  # the Accord header, not Django's bare page


def test_500_page_stands_alone():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert "accord.css" in html
