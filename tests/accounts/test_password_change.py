"""A new password shuts out whoever knew the old one: API tokens are revoked, other browsers
are signed out, unfinished download links end; the user is told on the page and by email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create
from accord.audit.models import Event
from tests import factories
from tests.access.factories import licence_for, variant_with_files

pytestmark = pytest.mark.django_db

OLD = "correct horse battery staple"  # tests.factories.UserFactory's password
NEW = "a-brand-new-passphrase-2024"


@pytest.fixture
def member(db):
    return factories.UserFactory(email="vera@physics.uni-example.edu", full_name="Vera Member")


@pytest.fixture
def data_file(dataset, member, tmp_path):
    variant = variant_with_files(dataset, tmp_path, {"clip.bin": b"licensed bytes"}, slug="v1")
    licence_for(variants=[variant], members=[member])
    return variant.files.get()


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def reset_password(email: str, new_password: str) -> Client:
    """The whole 'forgot password' flow, as the mailbox owner clicks through it."""
    browser = Client()
    browser.post("/accounts/password/reset/", {"email": email})
    link = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[-1].body).group(0)
    form_url = browser.get(link)["Location"]
    response = browser.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302, response.content[:500]
    return browser


def change_password(browser: Client, new_password: str):
    return browser.post(
        "/accounts/password/change/",
        {"oldpassword": OLD, "password1": new_password, "password2": new_password},
        follow=True,
    )


def test_token_minted_before_a_reset_no_longer_downloads(
    client, member, data_file, django_capture_on_commit_callbacks
):
    auth = bearer(api_token_create(user=member, name="laptop").secret)
    issue = reverse("api:issue_file_link", kwargs={"file_id": data_file.pk})
    token_bound = client.post(issue, **auth).json()["url"]
    assert client.get(token_bound, **auth).status_code in (200, 206)
    # The deprecated GET hands out a link that needs nothing but its secret.
    bearer_only = client.get(reverse("api:file_link", kwargs={"file_id": data_file.pk}), **auth)
    bearer_only = bearer_only.json()["url"]

    with django_capture_on_commit_callbacks(execute=True):
        reset_password(member.email, NEW)

    me = client.get(reverse("api:me"), **auth)
    assert me.status_code == 401
    assert me["Content-Type"].startswith("application/problem+json")
    assert client.post(issue, **auth).status_code == 401
    assert client.get(token_bound, **auth).status_code in (401, 403, 404, 410)
    assert client.get(bearer_only).status_code == 410  # ended with the old password
    assert ApiToken.objects.get(user=member).revoked_at is not None


def test_reset_is_audited_and_emailed_with_the_number_of_tokens_revoked(
    member, django_capture_on_commit_callbacks
):
    api_token_create(user=member, name="laptop")
    api_token_create(user=member, name="cluster")
    with django_capture_on_commit_callbacks(execute=True):
        reset_password(member.email, NEW)

    event = Event.objects.get(event_type="accounts:password:reset")
    assert event.target_id == str(member.pk)
    assert len(event.details["tokens_revoked"]) == 2
    [notice] = [m for m in mail.outbox if "was reset" in m.subject and m.to == [member.email]]
    assert "2 API tokens were revoked" in notice.body
    assert "/account/tokens/" in notice.body


def test_change_keeps_this_browser_and_signs_out_every_other(member):
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        browser.post("/accounts/login/", {"login": member.email, "password": OLD})
        assert "_auth_user_id" in browser.session

    change_password(here, NEW)

    assert here.get(reverse("accounts:tokens")).status_code == 200
    assert elsewhere.get(reverse("accounts:tokens")).status_code == 302  # to sign-in


def test_change_revokes_tokens_and_says_so_on_the_page_and_by_email(
    member, django_capture_on_commit_callbacks
):
    secret = api_token_create(user=member, name="laptop").secret
    browser = Client()
    browser.force_login(member)

    with django_capture_on_commit_callbacks(execute=True):
        page = change_password(browser, NEW)

    assert "1 API token was revoked" in page.content.decode()
    assert Client().get(reverse("api:me"), **bearer(secret)).status_code == 401
    assert Event.objects.filter(event_type="accounts:password:change", actor=member).exists()
    [notice] = [m for m in mail.outbox if m.to == [member.email]]
    assert "changed" in notice.subject
    assert "1 API token was revoked" in notice.body


def test_a_reset_ends_a_browser_the_old_password_signed_in(member):
    thief = Client()
    thief.post("/accounts/login/", {"login": member.email, "password": OLD})
    assert thief.get(reverse("accounts:tokens")).status_code == 200
    reset_password(member.email, NEW)
    assert thief.get(reverse("accounts:tokens")).status_code == 302
    assert thief.get(reverse("api:me")).status_code == 401


def test_password_set_in_the_admin_also_revokes_tokens(member, django_capture_on_commit_callbacks):
    secret = api_token_create(user=member, name="laptop").secret
    operator = factories.UserFactory(is_superuser=True, is_staff=True)
    admin = Client()
    admin.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/admin/accounts/user/{member.pk}/password/",
            {"password1": NEW, "password2": NEW, "usable_password": "true"},
            follow=True,
        )
    assert "1 API token of vera@physics.uni-example.edu was revoked" in response.content.decode()
    assert Client().get(reverse("api:me"), **bearer(secret)).status_code == 401
    event = Event.objects.get(event_type="accounts:password:admin")
    assert event.actor == operator and event.target_id == str(member.pk)
    [notice] = [m for m in mail.outbox if m.to == [member.email]]
    assert "set by an administrator" in notice.body
