"""API tokens in the UI: created and shown once, listed by prefix, revoked, expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create, hash_token
from accord.audit.models import Event
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    user = factories.UserFactory()
    client.force_login(user)
    return user


def create(client, **data):
    return client.post(
        reverse("accounts:tokens"), {"name": "laptop", "scope": "read", "expires_in": "90", **data}
    )


def test_token_is_shown_once_and_only_its_hash_is_stored(client, person):
    response = create(client)
    assert response.status_code == 200
    secret = response.context["issued"].secret
    assert secret.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=person)
    assert token.token_hash == hash_token(secret)
    assert secret not in str(token.__dict__)
    listing = client.get(reverse("accounts:tokens"))
    assert secret.encode() not in listing.content
    assert token.prefix.encode() in listing.content


def test_token_expiry_choice(client, person):
    create(client, expires_in="30")
    token = ApiToken.objects.get(user=person)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    create(client, name="forever", expires_in="")
    assert ApiToken.objects.get(name="forever").expires_at is None


def test_created_token_works_for_the_api_and_revoked_one_does_not(client, person):
    secret = create(client).context["issued"].secret
    me = reverse("api:me")
    answer = client.get(me, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert answer.json() == {
        "email": person.email,
        "full_name": person.full_name,
        "token_scope": "read",
    }
    token = ApiToken.objects.get(user=person)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get(me, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert Event.objects.filter(event_type="accounts:token:revoke", actor=person).exists()


def test_expired_token_is_refused(client, person):
    issued = api_token_create(
        user=person, name="old", expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.logout()
    response = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert response.status_code == 401


def test_read_token_cannot_write(client, person):
    issued = api_token_create(user=person, name="r")
    client.logout()
    # Any unsafe method with a read-scoped token is refused before the operation runs.
    response = client.post(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert response.status_code in (401, 405)


def test_cannot_revoke_someone_elses_token(client, person):
    other = api_token_create(user=factories.UserFactory(), name="theirs").token
    response = client.post(reverse("accounts:token_revoke", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_revoke_needs_post(client, person):
    token = api_token_create(user=person, name="x").token
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_form_errors_do_not_create_a_token(client, person):
    response = create(client, name="", scope="root")
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert response.context["form"].errors.keys() == {"name", "scope"}
