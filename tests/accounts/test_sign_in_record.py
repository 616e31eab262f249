"""Sign-in and sign-out are audited; a sign-in from a browser the account has not used before
is audited as a new device and the owner is emailed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accord.accounts.adapter import DEVICE_COOKIE
from accord.accounts.models import KnownDevice
from accord.audit.models import Event
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
ELSEWHERE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0"


@pytest.fixture
def person(db):
    return factories.UserFactory(email="vera@physics.uni-example.edu")


def sign_in(browser: Client, user, agent: str = FIREFOX):
    response = browser.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD},
        HTTP_USER_AGENT=agent,
        REMOTE_ADDR="192.0.2.10",
    )
    assert "_auth_user_id" in browser.session
    return response


def events(kind: str):
    return Event.objects.filter(event_type=f"accounts:session:{kind}")


def new_device_mails(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email] and "New sign-in" in m.subject]


def test_sign_in_and_sign_out_are_audited(person, django_capture_on_commit_callbacks):
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(browser, person)
    [signed_in] = events("sign-in")
    assert signed_in.actor == person and signed_in.ip_address == "192.0.2.10"
    assert signed_in.user_agent == FIREFOX

    browser.post("/accounts/logout/")
    assert "_auth_user_id" not in browser.session
    [signed_out] = events("sign-out")
    assert signed_out.actor == person


def test_first_browser_ever_is_recorded_without_an_email(
    person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(Client(), person)
    assert events("new-device").get().details == {"first_device": True}
    assert new_device_mails(person) == []
    assert KnownDevice.objects.filter(user=person).count() == 1


def test_same_browser_again_is_a_known_device(person, django_capture_on_commit_callbacks):
    browser = Client()
    sign_in(browser, person)
    browser.post("/accounts/logout/")
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(browser, person)
    assert events("new-device").count() == 1
    assert [e.details["device"] for e in events("sign-in")] == ["new", "known"]
    assert new_device_mails(person) == []


def test_another_browser_is_audited_and_the_owner_is_emailed(
    person, django_capture_on_commit_callbacks
):
    sign_in(Client(), person)
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(Client(), person, agent=ELSEWHERE)

    latest = events("new-device").last()
    assert latest.details == {"first_device": False} and latest.user_agent == ELSEWHERE
    [notice] = new_device_mails(person)
    assert ELSEWHERE in notice.body and "192.0.2.10" in notice.body
    assert "/accounts/password/change/" in notice.body


def test_same_user_agent_and_address_without_the_cookie_is_still_new(
    person, django_capture_on_commit_callbacks
):
    # Same browser make, same network: an attacker on the victim's campus must not pass as
    # the victim's own browser.
    sign_in(Client(), person)
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(Client(), person)
    assert len(new_device_mails(person)) == 1


def test_tampered_device_cookie_counts_as_a_new_device(person):
    browser = Client()
    sign_in(browser, person)
    browser.post("/accounts/logout/")
    browser.cookies[DEVICE_COOKIE] = browser.cookies[DEVICE_COOKIE].value[:-2] + "xx"
    sign_in(browser, person)
    assert events("new-device").count() == 2


def test_device_cookie_is_httponly_and_long_lived(person):
    response = sign_in(Client(), person)
    cookie = response.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 300 * 24 * 3600
    stored = KnownDevice.objects.get(user=person)
    assert cookie.value not in stored.key_hash  # only a hash of the device key is kept


def test_two_people_on_one_shared_browser_are_each_known(person):
    colleague = factories.UserFactory(email="colleague@physics.uni-example.edu")
    lab_pc = Client()
    for user in (person, colleague, person, colleague):
        sign_in(lab_pc, user)
        lab_pc.post("/accounts/logout/")
    assert events("new-device").count() == 2
