"""The header shows where a person is, and every page names an icon (no 404 in the console)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _current(html: str) -> list[str]:
    import re

    return re.findall(r'<a href="([^"]+)" aria-current="page">', html)


def test_review_queue_lights_only_its_own_link(client, staff):
    client.force_login(staff)
    response = client.get(reverse("agreements:review_queue"), follow=True)
    html = response.content.decode()
    assert reverse("agreements:my_applications") not in _current(html)


def test_my_applications_is_marked_current(client, outsider):
    client.force_login(outsider)
    html = client.get(reverse("agreements:my_applications")).content.decode()
    assert _current(html) == [reverse("agreements:my_applications")]


def test_catalogue_is_marked_current_and_page_has_an_icon(client):
    html = client.get(reverse("catalog:dataset_list")).content.decode()
    assert _current(html) == [reverse("catalog:dataset_list")]
    assert 'rel="icon"' in html
