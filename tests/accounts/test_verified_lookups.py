"""Every "who is this address" question in Accord is answered by accord.accounts.selectors,
and an unverified address answers nobody: not a signer's link, not an invitation, not the
sign-in lockout's record."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accord.accounts import selectors
from accord.agreements.services import has_verified_email
from accord.audit.models import Event
from accord.licences.selectors import memberships_of
from tests import factories
from tests.access.factories import licence_for, variant_with_files

pytestmark = pytest.mark.django_db

VICTIM = "victim@physics.uni-example.edu"


@pytest.fixture
def attacker(db):
    user = factories.UserFactory(email="mallory@elsewhere.example.org")
    EmailAddress.objects.create(user=user, email=VICTIM, verified=False, primary=False)
    return user


def test_unverified_address_belongs_to_nobody(attacker):
    assert selectors.verified_user_for_email(VICTIM) is None
    assert selectors.users_for_login(VICTIM) == []
    assert not selectors.has_verified_email(attacker, VICTIM)
    assert not has_verified_email(attacker, VICTIM)  # the agreements code asks the same question


def test_verified_address_belongs_to_its_owner_whatever_the_case(attacker):
    owner = factories.UserFactory(email="vera@physics.uni-example.edu")
    EmailAddress.objects.create(user=owner, email=VICTIM, verified=True, primary=False)
    assert selectors.verified_user_for_email(VICTIM.upper()) == owner
    assert selectors.users_for_login(VICTIM) == [owner]
    assert selectors.verified_email_list(owner) == [owner.email, VICTIM]


def test_invitation_to_an_address_reaches_only_its_verified_owner(attacker, dataset, tmp_path):
    variant = variant_with_files(dataset, tmp_path, {"a.bin": b"a"})
    licence = licence_for(variants=[variant])
    invite = licence.members.create(email=VICTIM, full_name="Vera Victim")
    assert invite not in memberships_of(attacker)
    owner = factories.UserFactory(email=VICTIM)
    assert invite in memberships_of(owner)


def test_lockout_record_names_the_account_a_verified_extra_address_signs_in_to(client, attacker):
    owner = factories.UserFactory(email="vera@physics.uni-example.edu")
    EmailAddress.objects.filter(user=attacker, email=VICTIM).delete()
    EmailAddress.objects.create(user=owner, email=VICTIM, verified=True, primary=False)
    browser = Client()
    for _ in range(5):
        browser.post("/accounts/login/", {"login": VICTIM, "password": "wrong password"})
    lockout = Event.objects.get(event_type="accounts:sign-in:lock-out")
    assert lockout.target_id == str(owner.pk)


def test_lockout_record_does_not_blame_an_account_that_only_listed_the_address(client, attacker):
    browser = Client()
    for _ in range(5):
        browser.post("/accounts/login/", {"login": VICTIM, "password": "wrong password"})
    lockout = Event.objects.get(event_type="accounts:sign-in:lock-out")
    assert lockout.target_id == ""
