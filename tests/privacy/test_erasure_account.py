"""Erasure on a plain account (no applications): the sign-in guards in front of it, what it
removes of sign-in records, and what the Django admin shows afterwards."""

from __future__ import annotations

import time

import pytest
from axes.models import AccessAttempt
from django.test import TestCase
from django.urls import reverse

from accord.accounts.models import Erasure
from accord.accounts.services_privacy import account_erase
from accord.audit.models import EventPersonal
from accord.audit.verify import verify_chain
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def person(db):
    return factories.UserFactory(email="quinn.erasable@uni-example.edu", full_name="Quinn Erasable")


def test_the_page_offers_the_export_and_the_erasure(client, person):
    client.force_login(person)
    page = client.get(reverse("accounts:personal_data"))
    assert page.status_code == 200
    assert reverse("accounts:personal_data_export").encode() in page.content
    assert b"Erase my personal data</button>" in page.content


def test_erasure_after_an_old_sign_in_asks_for_the_password_first(client, person, settings):
    client.force_login(person)
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60
    session["account_authentication_methods"] = records
    session.save()
    response = client.post(
        reverse("accounts:personal_data_erase"), {"email": person.email, "understood": "on"}
    )
    assert response.status_code == 302 and "/reauthenticate/" in response["Location"]
    assert not Erasure.objects.exists()


def test_the_address_that_locked_the_account_out_is_erased_with_it(client, person):
    for _ in range(5):
        client.post(
            reverse("account_login"),
            {"login": person.email, "password": "wrong"},
            REMOTE_ADDR="192.0.2.44",
        )
    assert AccessAttempt.objects.filter(username__iexact=person.email).exists()
    assert EventPersonal.objects.filter(ip_address="192.0.2.44").exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        account_erase(user=person, actor=person)
    assert not AccessAttempt.objects.filter(username__iexact=person.email).exists()
    assert not EventPersonal.objects.filter(ip_address="192.0.2.44").exists()
    assert verify_chain().ok


def test_the_admin_lists_the_erasure_without_the_erased_values(client, person):
    with TestCase.captureOnCommitCallbacks(execute=True):
        record = account_erase(user=person, actor=person)
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:accounts_erasure_changelist"))
    assert listing.status_code == 200 and record.pseudonym.encode() in listing.content
    detail = client.get(reverse("admin:accounts_erasure_change", args=[record.pk]))
    assert detail.status_code == 200
    assert b"quinn" not in detail.content.lower()


def test_staff_find_the_erasures_page_in_their_navigation(client, staff, person):
    client.force_login(staff)
    page = client.get(reverse("accounts:personal_data"))
    assert reverse("accounts:erasures").encode() in page.content
    client.force_login(person)
    page = client.get(reverse("accounts:personal_data"))
    assert reverse("accounts:erasures").encode() not in page.content


def test_nobody_else_may_erase_a_persons_data(person, outsider):
    from accord.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        account_erase(user=person, actor=outsider)
    person.refresh_from_db()
    assert person.is_active and person.email == "quinn.erasable@uni-example.edu"


def test_no_email_goes_to_an_erased_persons_pseudonym(person, mailoutbox):
    """After erasure the account's address is a pseudonym under the reserved ``.invalid``
    domain: a later notice naming it (an old application's cc, a reminder) is not attempted,
    while the other recipients still get theirs."""
    from accord.notifications.email import send_templated

    account_erase(user=person, actor=person)
    person.refresh_from_db()
    assert person.email.endswith("@erased.invalid")
    context = {
        "application": {"reference": "APP-2026-0001"},
        "dataset": {"name": "SMIC"},
        "custodian": {"name": "Example custodian"},
    }
    sent = send_templated(
        to=[person.email], cc=[], template="agreements/application_withdraw", context=context
    )
    assert sent == 0 and mailoutbox == []
    send_templated(
        to=["signer@uni-example.edu", person.email],
        cc=[person.email.upper()],
        template="agreements/application_withdraw",
        context=context,
    )
    assert [m.to + m.cc for m in mailoutbox] == [["signer@uni-example.edu"]]
