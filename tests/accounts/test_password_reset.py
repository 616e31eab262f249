"""'Forgot password' sends a reset link only to an address its account has verified, through a
real SMTP server; the page never says whether an address has an account."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.account.utils import url_str_to_user_pk
from django.test import Client

from tests import factories
from tests.accounts.conftest import signup, text_of

pytestmark = pytest.mark.django_db

VICTIM = "victim@physics.uni-example.edu"
RESET_LINK = "/accounts/password/reset/key/"


def ask_for_reset(email: str):
    return Client().post("/accounts/password/reset/", {"email": email})


def test_reset_link_goes_to_a_verified_address(smtp_server):
    user = factories.UserFactory(email="owner@uni-example.edu")
    response = ask_for_reset(user.email)
    assert response.status_code == 302
    [message] = smtp_server.to(user.email)
    assert RESET_LINK in text_of(message)


def test_address_added_but_never_verified_gets_no_reset_link(smtp_server):
    attacker = factories.UserFactory(email="mallory@elsewhere.example.org")
    EmailAddress.objects.create(user=attacker, email=VICTIM, verified=False, primary=False)

    claimed = ask_for_reset(VICTIM)
    unknown = ask_for_reset("nobody@physics.uni-example.edu")

    # The same page as for an address nobody has, and the same email: "no account with this
    # address, sign up here" (which is what the real owner should do), never a reset link.
    assert claimed.status_code == unknown.status_code == 302
    assert claimed["Location"] == unknown["Location"]
    [to_victim] = smtp_server.to(VICTIM)
    [to_nobody] = smtp_server.to("nobody@physics.uni-example.edu")
    assert to_victim["Subject"] == to_nobody["Subject"]
    assert RESET_LINK not in text_of(to_victim)
    assert "/accounts/signup/" in text_of(to_victim)
    assert attacker.email not in text_of(to_victim)
    assert smtp_server.to(attacker.email) == []


def test_signup_never_verified_gets_no_reset_link(smtp_server):
    signup(Client(), VICTIM)
    smtp_server.messages.clear()
    ask_for_reset(VICTIM)
    assert all(RESET_LINK not in text_of(m) for m in smtp_server.messages)


def test_reset_reaches_the_owner_not_the_attacker_who_claimed_the_address_first(smtp_server):
    attacker = factories.UserFactory(email="mallory@elsewhere.example.org")
    EmailAddress.objects.create(user=attacker, email=VICTIM, verified=False, primary=False)
    owner = factories.UserFactory(email="vera@physics.uni-example.edu")
    EmailAddress.objects.create(user=owner, email=VICTIM, verified=True, primary=False)

    ask_for_reset(VICTIM)

    [message] = smtp_server.to(VICTIM)
    body = text_of(message)
    assert RESET_LINK in body
    uid = body.split(RESET_LINK, 1)[1].split("-", 1)[0]
    assert url_str_to_user_pk(uid) == owner.pk
