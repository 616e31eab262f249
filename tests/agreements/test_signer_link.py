"""The signer's confirmation link shows the application to the named signer only: another
signed-in account learns neither the application nor the signer's address, on the page or
through the API."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accord.agreements.models import Application
from tests import factories
from tests.agreements.factories import submitted
from tests.roles import bearer

pytestmark = pytest.mark.django_db

SIGNER = "prof.ada@uni-example.edu"


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def pending(student, casmemg, django_capture_on_commit_callbacks):
    """A submitted application waiting for its signer, and the token mailed to them."""
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(student, casmemg)
    body = next(m.body for m in mail.outbox if "/apply/confirm/" in m.body)
    return application, body.split("/apply/confirm/")[1].split("/")[0]


def _secrets(application) -> list[str]:
    """What the link's page must not reveal to anyone but the signer."""
    return [
        application.reference,
        application.dataset.name,
        SIGNER,
        application.signer_name,
        application.applicant.email,
        application.purpose[:30],
    ]


def test_named_signer_sees_the_application_and_can_confirm(client, pending, professor):
    application, token = pending
    client.force_login(professor)
    url = reverse("agreements:signer_confirm", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert application.reference in page.content.decode()
    assert b"I signed this agreement" in page.content
    assert client.post(url).status_code == 302
    application.refresh_from_db()
    assert application.signer_confirmed


def test_other_signed_in_account_is_told_the_link_is_for_someone_else(client, pending):
    application, token = pending
    client.force_login(factories.UserFactory(email="mallory@uni-example.edu"))
    url = reverse("agreements:signer_confirm", args=[token])
    page = client.get(url)
    assert page.status_code == 403
    text = page.content.decode()
    assert "This link is for someone else" in text
    assert "sign in (or sign up) with the address the link was sent to" in text
    for secret in _secrets(application):
        assert secret not in text, secret
    # Posting the form by hand confirms nothing either.
    assert client.post(url).status_code == 403
    application.refresh_from_db()
    assert not application.signer_confirmed


def test_signer_address_held_unverified_by_another_account_does_not_open_the_link(client, pending):
    application, token = pending
    squatter = factories.UserFactory(email="squatter@uni-example.edu")
    squatter.emailaddress_set.create(email=SIGNER, verified=False, primary=False)
    client.force_login(squatter)
    page = client.get(reverse("agreements:signer_confirm", args=[token]))
    assert page.status_code == 403
    assert application.reference not in page.content.decode()


def test_the_other_page_offers_to_sign_out_and_back_in_to_the_link(client, pending):
    _, token = pending
    client.force_login(factories.UserFactory())
    url = reverse("agreements:signer_confirm", args=[token])
    response = client.post(
        reverse("account_logout"), {"next": f"{reverse('account_login')}?next={url}"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(url)["Location"].startswith(reverse("account_login"))


def test_anonymous_visitor_is_sent_to_sign_in(client, pending):
    _, token = pending
    response = client.get(reverse("agreements:signer_confirm", args=[token]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_api_refusal_names_neither_the_signer_nor_the_application(client, pending):
    application, token = pending
    intruder = factories.UserFactory(email="mallory@uni-example.edu")
    response = client.post(f"/api/v1/signer-confirmations/{token}", **bearer(intruder))
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "for someone else" in detail
    for secret in _secrets(application):
        assert secret not in detail, secret
    application.refresh_from_db()
    assert not application.signer_confirmed


def test_api_refusal_does_not_reveal_the_state_of_a_withdrawn_application(client, pending, student):
    from accord.agreements import services

    application, token = pending
    services.application_withdraw(application=application, actor=student)
    response = client.post(
        f"/api/v1/signer-confirmations/{token}", **bearer(factories.UserFactory())
    )
    assert response.status_code == 403
    assert application.reference not in response.json()["detail"]


def test_api_signer_confirms_and_anonymous_is_asked_to_authenticate(client, pending, professor):
    application, token = pending
    assert client.post(f"/api/v1/signer-confirmations/{token}").status_code == 401
    response = client.post(f"/api/v1/signer-confirmations/{token}", **bearer(professor))
    assert response.status_code == 200, response.content
    assert Application.objects.get(pk=application.pk).signer_confirmed
