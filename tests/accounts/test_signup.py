"""Sign-up, the affiliated-email rule, verification email (through a real SMTP server)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accord.accounts.email_rules import affiliated_email_error, domain_kind
from accord.accounts.models import User
from tests import factories

PASSWORD = "a-long-enough-passphrase-42"


def _signup(client, email, dataset=""):
    return client.post(
        "/accounts/signup/",
        {
            "full_name": "Ada Applicant",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "dataset": dataset,
        },
    )


@pytest.mark.parametrize(
    "email",
    ["someone@gmail.com", "a.b@qq.com", "x@163.com", "me@outlook.com", "tmp@mailinator.com"],
)
def test_free_mail_signup_for_affiliated_dataset_is_refused_with_reason(client, dataset, email):
    response = _signup(client, email, dataset=dataset.slug)
    assert response.status_code == 200
    page = response.content.decode()
    assert "institution" in page and email.split("@")[1] in page
    assert not User.objects.filter(email=email).exists()
    assert mail.outbox == []


def test_free_mail_signup_without_a_dataset_is_allowed(client, db):
    response = _signup(client, "hobbyist@gmail.com")
    assert response.status_code == 302
    assert User.objects.filter(email="hobbyist@gmail.com").exists()


def test_dataset_without_the_rule_accepts_free_mail(client, db):
    open_dataset = factories.DatasetFactory(open_email=True)
    response = _signup(client, "someone@gmail.com", dataset=open_dataset.slug)
    assert response.status_code == 302


def test_institutional_signup_sends_a_verification_email(client, dataset):
    response = _signup(client, "ada@cs.uni-example.edu", dataset=dataset.slug)
    assert response.status_code == 302
    user = User.objects.get(email="ada@cs.uni-example.edu")
    assert user.full_name == "Ada Applicant"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@cs.uni-example.edu"]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body)
    assert link, message.body


def test_user_cannot_sign_in_before_verifying(client, dataset):
    _signup(client, "ada@cs.uni-example.edu", dataset=dataset.slug)
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "ada@cs.uni-example.edu", "password": PASSWORD}
    )
    # allauth holds unverified users at the "verification sent" page, never signed in.
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)


def test_verification_link_activates_the_account(client, dataset):
    _signup(client, "ada@cs.uni-example.edu", dataset=dataset.slug)
    key_url = re.search(r"/accounts/confirm-email/\S+", mail.outbox[0].body).group(0)
    client.logout()
    response = client.post(key_url)
    assert response.status_code == 302
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(email="ada@cs.uni-example.edu").verified


@pytest.mark.parametrize(
    ("domain", "kind"),
    [
        ("gmail.com", "free"),
        ("mail.qq.com", "free"),
        ("163.com", "free"),
        ("mailinator.com", "disposable"),
        ("oulu.fi", None),
        ("psych.ac.cn", None),
        ("cs.uni-example.edu", None),
    ],
)
def test_domain_classification(domain, kind):
    assert domain_kind(domain) == kind


def test_refusal_message_says_what_to_use_instead():
    message = affiliated_email_error("prof@gmail.com")
    assert "gmail.com" in message and "institution" in message
    assert affiliated_email_error("prof@oulu.fi") is None


def test_verification_email_goes_through_a_real_smtp_server(client, dataset, smtp_server):
    response = _signup(client, "grace@physics.uni-example.edu", dataset=dataset.slug)
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["To"] == "grace@physics.uni-example.edu"
    body = received.get_payload(decode=True) or b""
    if received.is_multipart():
        body = received.get_payload(0).get_payload(decode=True)
    assert b"/accounts/confirm-email/" in body


def test_password_reset_email_is_sent(client, db):
    user = factories.UserFactory(email="reset@uni-example.edu")
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_signup_reached_from_apply_for_access_applies_the_datasets_rule(client, dataset):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Ada",
            "email": "ada@gmail.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": f"/apply/new/{dataset.slug}/",
        },
    )
    assert response.status_code == 200
    assert "institution" in response.content.decode()
    assert not User.objects.filter(email="ada@gmail.com").exists()
