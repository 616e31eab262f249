"""Sign-in hardening a user would notice: lockout after repeated failures, two-factor for
staff, re-authentication before sensitive actions, security headers, CSRF."""

from __future__ import annotations

import time

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from accord import urls as site_urls
from accord.core.decorators import sensitive, staff
from accord.core.permissions import Permission
from tests import factories

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth remembers used TOTP codes in the cache; ids repeat between tests.
    from django.core.cache import cache

    cache.clear()


def totp_now() -> str:
    return format_hotp_value(hotp_value(factories.TEST_TOTP_SECRET, int(time.time()) // 30))


def _login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


# --- Lockout ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_with_a_clear_page(client, outsider):
    for _ in range(4):
        response = _login(client, outsider.email, "wrong password")
        assert response.status_code == 200  # the form again, with an error
    response = _login(client, outsider.email, "wrong password")
    assert response.status_code == 429
    response = _login(client, outsider.email)  # even the right password, for now
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed sign-ins" in body and "reset your password" in body
    assert "Wait 15 minutes" in body
    from accord.audit.models import Event

    lockout = Event.objects.filter(event_type="accounts:sign-in:lock-out").first()
    assert lockout.target_id == str(outsider.pk) and lockout.target_repr == str(outsider)
    assert outsider.email not in lockout.payload  # personal data stays beside the chain
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_lockout_is_per_account_not_by_address_case(client, outsider):
    for _ in range(5):
        _login(client, outsider.email.upper(), "wrong password")
    assert _login(client, outsider.email).status_code == 429
    other = factories.UserFactory()
    assert _login(client, other.email).status_code == 302  # another account is unaffected


# --- Two-factor --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_without_two_factor_are_sent_to_set_it_up(client, custodian):
    user = factories.StaffFactory(custodian=custodian, mfa=False).user
    client.force_login(user)
    response = client.get(reverse("audit:event_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    page = client.get(response["Location"])
    assert page.status_code in (200, 302)  # the set-up page (after confirming the password)
    api = client.get("/api/v1/audit/events")
    assert api.status_code == 403 and "two-factor" in api.json()["detail"]


@pytest.mark.django_db
def test_superuser_without_two_factor_cannot_reach_admin(client):
    user = factories.UserFactory(is_superuser=True, is_staff=True, mfa=False)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/2fa/" in response["Location"]


@pytest.mark.django_db
def test_members_are_not_forced_into_two_factor(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("access:my_access")).status_code == 200


@pytest.mark.django_db
def test_staff_sign_in_asks_for_the_authenticator_code(client, staff):
    response = _login(client, staff.email)
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session  # not signed in on the password alone
    assert "2fa" in response["Location"]
    response = client.post(response["Location"], {"code": "000000"})
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == staff.pk
    assert client.get(reverse("audit:event_list")).status_code == 200


# --- Re-authentication before sensitive actions ---------------------------------------------


@staff(Permission.AUDIT_EVENT_VIEW)
@sensitive
def _approve(request):
    return HttpResponse(f"approved by {request.user.email}")


urlpatterns = [path("approve", _approve), *site_urls.urlpatterns]


def _age_sign_in(client, seconds: int) -> None:
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_fresh_sign_in_may_do_a_sensitive_action(client, staff):
    client.force_login(staff)
    response = client.post("/approve")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_stale_sign_in_must_reauthenticate_then_the_action_goes_through(client, staff, settings):
    client.force_login(staff)
    _age_sign_in(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60)
    response = client.post("/approve")
    assert response.status_code == 302
    assert "/accounts/reauthenticate/" in response["Location"] or "/2fa/" in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    if "/2fa/" in response["Location"]:
        done = client.post(response["Location"], {"code": totp_now()})
    else:
        done = client.post(response["Location"], {"password": PASSWORD})
    # The suspended POST is replayed after re-authenticating.
    assert done.status_code == 200, done
    assert f"approved by {staff.email}" in done.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_get_of_a_sensitive_view_needs_no_reauthentication(client, staff):
    client.force_login(staff)
    _age_sign_in(client, 10_000)
    assert client.get("/approve").status_code == 200


# --- Headers, cookies, CSRF -----------------------------------------------------------------


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get(reverse("catalog:dataset_list"), secure=True)
    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_session_cookie_is_httponly_and_lax(client, outsider):
    response = _login(client, outsider.email)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    page = client.get(reverse("account_email"))
    assert page.cookies["csrftoken"]["httponly"] is True


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused(outsider):
    client = Client(enforce_csrf_checks=True)
    form = {"login": outsider.email, "password": PASSWORD}
    response = client.post(reverse("account_login"), form)
    assert response.status_code == 403


def test_passwords_are_hashed_with_argon2_outside_tests(settings):
    real = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    assert real[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


# --- Hostile input ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_nul_characters_are_refused_with_a_clear_400(client):
    api = client.get("/api/v1/datasets", {"page": "1\x00"})
    assert api.status_code == 400 and "NUL" in api.json()["detail"]
    form = client.post(reverse("account_login"), {"login": "a\x00@example.org", "password": "x"})
    assert form.status_code == 400 and b"NUL" in form.content
    body = client.post("/api/v1/me", data='{"x": "\\u0000"}', content_type="application/json")
    assert body.status_code == 400


@pytest.mark.django_db
def test_admin_sign_in_goes_through_two_factor(client):
    user = factories.UserFactory(is_superuser=True, is_staff=True)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # A password posted to the admin's own form does not sign anyone in.
    client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    response = _login(client, user.email)
    assert "2fa" in response["Location"] and "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_staff_member_sets_up_two_factor_and_reaches_the_page(
    client, custodian, django_capture_on_commit_callbacks
):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

    user = factories.StaffFactory(custodian=custodian, mfa=False).user
    _login(client, user.email)
    response = client.get(reverse("audit:event_list"), follow=True)
    if "reauthenticate" in response.request["PATH_INFO"]:
        # allauth confirms the password once more before changing security settings.
        response = client.post(
            response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"],
            {"password": PASSWORD},
            follow=True,
        )
    assert response.request["PATH_INFO"] == reverse("mfa_activate_totp")
    page = response.content.decode()
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code (drawn by segno)
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        client.post(reverse("mfa_activate_totp"), {"code": code})
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    from accord.audit.models import Event

    added = Event.objects.get(event_type="accounts:two-factor:add", details__kind="totp")
    assert added.actor_id == user.pk and added.custodian_id == custodian.id
    assert client.get(reverse("audit:event_list")).status_code == 200


@pytest.mark.django_db
def test_absurd_page_numbers_are_a_validation_error_not_a_crash(client):
    response = client.get("/api/v1/datasets", {"page": str(2**90)})
    assert response.status_code == 422
