"""A signed-out signer opening the emailed confirmation link is told, on the sign-in and
sign-up pages, what they were asked to do; a guessed link tells nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.agreements.factories import submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def link(student, casmemg, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        submitted(student, casmemg)
    body = next(m.body for m in mail.outbox if "/apply/confirm/" in m.body)
    token = body.split("/apply/confirm/")[1].split("/")[0]
    return reverse("agreements:signer_confirm", args=[token])


def test_signed_out_signer_opening_the_link_is_told_what_to_confirm(client, link, casmemg):
    page = client.get(link, follow=True).content.decode()
    assert 'id="signer-request"' in page
    assert casmemg.name in page
    assert "Sam Student" in page
    assert "prof.ada@uni-example.edu" in page


def test_sign_up_page_from_the_link_says_the_same(client, link, casmemg):
    page = client.get(reverse("account_signup") + f"?next={link}").content.decode()
    assert "Sam Student" in page
    assert "prof.ada@uni-example.edu" in page


def test_a_guessed_link_shows_nothing_of_any_application(client, link):
    guessed = reverse("agreements:signer_confirm", args=["not-the-token"])
    page = client.get(guessed, follow=True).content.decode()
    assert 'id="signer-request"' not in page
    assert "Sam Student" not in page
    assert "prof.ada@uni-example.edu" not in page


def test_sign_in_page_uses_the_portals_wording(client):
    page = client.get(reverse("account_login")).content.decode()
    assert "Remember Me" not in page
    assert "Keep me signed in on this device" in page
    assert 'name="login"' in page and 'name="password"' in page


def test_password_reset_pages_use_the_portals_wording(client):
    page = client.get(reverse("account_reset_password")).content.decode()
    assert "Reset My Password" not in page
    assert "Send me a link" in page
    assert 'name="email"' in page


def test_a_password_reset_link_lets_the_person_choose_a_new_password(client, student):
    import re

    client.post(reverse("account_reset_password"), {"email": student.email})
    body = next(m.body for m in mail.outbox if "password" in m.subject.lower())
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "a-new-long-password-9", "password2": "a-new-long-password-9"},
        follow=True,
    )
    assert done.status_code == 200
    student.refresh_from_db()
    assert student.check_password("a-new-long-password-9")
