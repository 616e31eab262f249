"""Account pre-hijack: an address somebody typed in but never verified must not keep its
owner out, must not sign anybody in, and must not end up verified on the wrong account."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accord.accounts.models import User
from accord.audit.models import Event
from tests import factories
from tests.access.factories import licence_for, variant_with_files
from tests.accounts.conftest import PASSWORD, confirmation_path, sign_in, signup

pytestmark = pytest.mark.django_db

VICTIM = "victim@physics.uni-example.edu"
ATTACKER_PASSWORD = "attacker-knows-this-one-77"


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


@pytest.fixture
def attacker(db):
    return factories.UserFactory(email="mallory@elsewhere.example.org")


def add_address(user, email: str) -> None:
    """What the attacker does on /accounts/email/: add somebody else's address to their own
    (verified) account. allauth sends its confirmation link to that address."""
    browser = Client()
    browser.force_login(user)
    response = browser.post("/accounts/email/", {"email": email, "action_add": ""})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=user, email=email, verified=False).exists()


def test_unverified_extra_address_does_not_block_its_owner_signing_up(client, attacker):
    add_address(attacker, VICTIM)
    mail.outbox.clear()

    response = signup(client, VICTIM)

    assert response.status_code == 302
    owner = User.objects.get(email=VICTIM)
    assert owner != attacker
    [message] = mails_to(VICTIM)
    assert confirmation_path(message.body), "the owner is sent their own verification link"
    # The attacker's claim is gone, and with it any way to verify it.
    assert not EmailAddress.objects.filter(user=attacker, email=VICTIM).exists()
    release = Event.objects.get(event_type="accounts:email:release")
    assert release.target_id == str(attacker.pk)
    assert release.details == {"reason": "sign-up", "account_removed": False}


def test_attackers_confirmation_link_dies_when_the_owner_signs_up(client, attacker):
    add_address(attacker, VICTIM)
    attackers_link = confirmation_path(mails_to(VICTIM)[0].body)
    signup(client, VICTIM)
    client.logout()

    page = client.get(attackers_link)
    assert b"not valid any more" in page.content
    client.post(attackers_link)
    assert not EmailAddress.objects.filter(user=attacker, verified=True, email=VICTIM).exists()


def test_owner_who_signs_up_after_the_attacker_verifies_and_signs_in(client, attacker):
    add_address(attacker, VICTIM)
    signup(client, VICTIM)
    link = confirmation_path(mails_to(VICTIM)[-1].body)
    client.logout()
    client.post(link)

    owner = User.objects.get(email=VICTIM)
    assert EmailAddress.objects.get(email=VICTIM, verified=True).user == owner
    other = Client()
    sign_in(other, VICTIM)
    assert int(other.session["_auth_user_id"]) == owner.pk


def test_pending_account_holding_the_address_is_replaced_by_the_owners_signup(client):
    # The attacker signs up with the victim's address (it can never be verified by them).
    Client().post(
        "/accounts/signup/",
        {
            "full_name": "Victim Lookalike",
            "email": VICTIM,
            "password1": ATTACKER_PASSWORD,
            "password2": ATTACKER_PASSWORD,
        },
    )
    squatter = User.objects.get(email=VICTIM)
    attackers_link = confirmation_path(mails_to(VICTIM)[0].body)
    mail.outbox.clear()

    response = signup(client, VICTIM, name="Vera Victim")

    assert response.status_code == 302
    owner = User.objects.get(email=VICTIM)
    assert owner.pk != squatter.pk and owner.full_name == "Vera Victim"
    assert not User.objects.filter(pk=squatter.pk).exists()
    release = Event.objects.get(event_type="accounts:email:release")
    assert release.target_id == str(squatter.pk)
    assert release.details["account_removed"] is True
    client.logout()
    assert b"not valid any more" in client.get(attackers_link).content
    client.post(confirmation_path(mails_to(VICTIM)[0].body))
    assert EmailAddress.objects.get(email=VICTIM).verified
    assert "_auth_user_id" not in sign_in(Client(), VICTIM, ATTACKER_PASSWORD).wsgi_request.session


def test_owners_verification_drops_a_claim_made_after_they_signed_up(client, attacker):
    signup(client, VICTIM)
    owners_link = confirmation_path(mails_to(VICTIM)[0].body)
    add_address(attacker, VICTIM)
    attackers_link = confirmation_path(mails_to(VICTIM)[-1].body)
    client.logout()

    client.post(owners_link)

    assert EmailAddress.objects.get(email=VICTIM, verified=True).user.email == VICTIM
    assert not EmailAddress.objects.filter(user=attacker, email=VICTIM).exists()
    assert b"not valid any more" in client.get(attackers_link).content
    assert Event.objects.filter(
        event_type="accounts:email:release", target_id=str(attacker.pk)
    ).exists()


def test_confirmation_page_says_whose_account_an_extra_address_joins(client, attacker):
    add_address(attacker, VICTIM)
    page = client.get(confirmation_path(mails_to(VICTIM)[0].body)).content.decode()
    assert attacker.email in page
    assert "Confirm only if that account is yours" in page


def test_address_verified_by_its_owner_gets_no_confirmation_request_from_a_stranger(attacker):
    factories.UserFactory(email=VICTIM)
    add_address(attacker, VICTIM)
    assert mails_to(VICTIM) == []


def test_attacker_signing_up_with_a_verified_address_creates_nothing(client):
    owner = factories.UserFactory(email=VICTIM)
    response = signup(client, VICTIM, password=ATTACKER_PASSWORD)
    assert response.status_code == 302  # the page is the same as for a new address
    assert list(User.objects.filter(email=VICTIM)) == [owner]
    [message] = mails_to(VICTIM)
    assert "/accounts/password/reset/" in message.body  # the owner is told, nobody else


def test_unverified_extra_address_signs_nobody_in(attacker):
    attacker.set_password(ATTACKER_PASSWORD)
    attacker.save()
    add_address(attacker, VICTIM)
    mail.outbox.clear()

    browser = Client()
    response = sign_in(browser, VICTIM, ATTACKER_PASSWORD)

    assert "_auth_user_id" not in browser.session
    assert response.status_code == 200  # the form again, "email or password incorrect"
    assert mail.outbox == []  # nor does it trigger a verification mail to the victim


def test_signing_in_with_ones_own_unverified_address_sends_the_link_again(client):
    signup(client, VICTIM)
    client.logout()
    mail.outbox.clear()
    browser = Client()
    sign_in(browser, VICTIM, PASSWORD)
    assert "_auth_user_id" not in browser.session
    assert confirmation_path(mails_to(VICTIM)[0].body)


def test_signup_never_removes_an_operator_made_account(client):
    admin = factories.UserFactory(email=VICTIM, is_superuser=True, is_staff=True, verified=False)
    response = signup(client, VICTIM)
    assert response.status_code == 302
    assert list(User.objects.filter(email=VICTIM)) == [admin]
    assert not Event.objects.filter(event_type="accounts:email:release").exists()


def test_signup_never_removes_an_account_something_refers_to(client, dataset, tmp_path):
    holder = factories.UserFactory(email=VICTIM, verified=False)
    licence_for(variants=[variant_with_files(dataset, tmp_path, {"a": b"a"})], signer=holder)
    response = signup(client, VICTIM)
    assert response.status_code == 302  # the same page as any sign-up: nothing revealed
    assert list(User.objects.filter(email=VICTIM)) == [holder]
