"""The variant files page tells an entitled researcher how to install the command-line client
and the exact `accord fetch` command for this variant and this portal."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page_text(client, **extra) -> str:
    response = client.get(reverse("downloads:variant_files", args=["smic-e"]), **extra)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_files_page_gives_the_fetch_command_for_this_variant_and_portal(
    client, licence, member, settings
):
    settings.ALLOWED_HOSTS = ["data.example.org"]
    client.force_login(member)
    text = page_text(client, HTTP_HOST="data.example.org")
    assert (
        "accord fetch smic-e --to ./smic-e --portal http://data.example.org "
        "--token-file ~/.accord-token"
    ) in text
    assert "python3 -m pip install accord-client" in text
    assert f'href="{reverse("accounts:tokens")}"' in text


def test_files_page_install_command_follows_the_operators_setting(
    client, licence, member, settings
):
    settings.CLIENT_INSTALL = (
        "accord-client @ git+https://git.example.org/accord.git#subdirectory=client"
    )
    client.force_login(member)
    # Quoted, so that it pastes into a shell as one argument.
    assert (
        "pip install 'accord-client @ git+https://git.example.org/accord.git#subdirectory=client'"
        in page_text(client)
    )
