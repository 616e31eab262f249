"""Accord speaks English, Simplified Chinese and Finnish: from the browser, from the switcher
and, for a signed-in person, from their saved preference, which their emails follow."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accord.notifications.email import send_templated
from tests import factories

pytestmark = pytest.mark.django_db


def test_chinese_browser_gets_chinese_home_page(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh-Hans;q=0.9,en;q=0.5", follow=True)
    page = response.content.decode()
    assert '<html lang="zh-hans"' in page
    assert "数据集" in page  # "Datasets" in the navigation


def test_finnish_browser_gets_finnish_dataset_list(client):
    page = client.get(reverse("catalog:dataset_list"), HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert '<html lang="fi"' in page
    assert "Aineistot" in page


def test_browser_without_a_preference_gets_english(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de", follow=True).content.decode()
    assert '<html lang="en"' in page
    assert ">Datasets<" in page


def test_switcher_changes_the_language_of_the_next_page(client):
    response = client.post(reverse("accounts:language_set"), {"language": "fi", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en", follow=True).content.decode()
    assert '<html lang="fi"' in page


def test_switcher_refuses_to_redirect_to_another_site(client):
    response = client.post(
        reverse("accounts:language_set"), {"language": "fi", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_switcher_needs_a_csrf_token():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        reverse("accounts:language_set"), {"language": "fi"}
    )
    assert response.status_code == 403


def test_switching_is_remembered_for_a_signed_in_person_on_another_device(client):
    user = factories.UserFactory()
    client.force_login(user)
    client.post(reverse("accounts:language_set"), {"language": "zh-hans", "next": "/"})
    user.refresh_from_db()
    assert user.language == "zh-hans"

    from django.test import Client

    other_device = Client()
    other_device.force_login(user)
    page = other_device.get("/", HTTP_ACCEPT_LANGUAGE="en", follow=True).content.decode()
    assert '<html lang="zh-hans"' in page


def test_an_unknown_language_changes_nothing(client):
    user = factories.UserFactory(language="fi")
    client.force_login(user)
    client.post(reverse("accounts:language_set"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "fi"


def _password_changed_to(*addresses: str) -> None:
    send_templated(
        to=addresses,
        template="accounts/password_changed",
        context={"user": None, "how": "change", "tokens_revoked": 0, "reset_url": "x"},
    )


def test_email_to_a_finnish_reader_is_in_finnish():
    factories.UserFactory(email="aino@uni.example.fi", language="fi")
    _password_changed_to("aino@uni.example.fi")
    assert "salasana" in mail.outbox[-1].subject.lower()


def test_email_to_a_reader_without_a_preference_is_in_english():
    factories.UserFactory(email="sam@uni.example.edu")
    _password_changed_to("sam@uni.example.edu")
    assert "Your password was changed" in mail.outbox[-1].subject


def test_email_to_readers_of_two_languages_is_sent_once_in_each():
    factories.UserFactory(email="aino@uni.example.fi", language="fi")
    factories.UserFactory(email="li@uni.example.cn", language="zh-hans")
    _password_changed_to("aino@uni.example.fi", "li@uni.example.cn")
    by_reader = {message.to[0]: message.subject for message in mail.outbox}
    assert "salasana" in by_reader["aino@uni.example.fi"].lower()
    assert "密码" in by_reader["li@uni.example.cn"]


def test_application_email_to_a_finnish_signer_is_in_finnish():
    factories.UserFactory(email="aino@uni.example.fi", language="fi")
    send_templated(
        to=["aino@uni.example.fi"],
        template="agreements/application_withdraw",
        context={
            "application": {"reference": "SMIC-2026-0001"},
            "dataset": "SMIC",
            "custodian": {"name": "University of Oulu"},
        },
    )
    message = mail.outbox[-1]
    assert "peruttu" in message.subject
    assert "Hakemus SMIC-2026-0001" in message.body or "hakemus SMIC-2026-0001" in message.body
