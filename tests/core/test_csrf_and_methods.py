"""State changes need a CSRF token when made with the browser session (web and API alike),
and never happen on GET."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accord.accounts.models import ApiToken
from accord.agreements.models import Application
from accord.licences.models import LicenceMember
from tests.roles import bearer


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_api_write_with_session_but_no_csrf_token_is_refused(csrf_client, student, casmemg):
    csrf_client.force_login(student)

    response = csrf_client.post(
        "/api/v1/applications", {"dataset": casmemg.slug}, content_type="application/json"
    )

    assert response.status_code in (401, 403)
    assert not Application.objects.exists()


def test_signer_member_removal_with_session_but_no_csrf_token_is_refused(
    csrf_client, licence, member
):
    csrf_client.force_login(licence.signer)
    row = licence.members.get(user=member)

    web = csrf_client.post(
        reverse("agreements:licence_member_remove", args=[licence.reference, row.pk])
    )
    api = csrf_client.delete(f"/api/v1/licences/{licence.reference}/members/{row.pk}")

    assert web.status_code == 403 and api.status_code in (401, 403)
    assert licence.members.get(pk=row.pk).status == LicenceMember.Status.ACTIVE


def test_member_removal_is_not_possible_with_get(client, licence, member):
    client.force_login(licence.signer)
    row = licence.members.get(user=member)

    response = client.get(
        reverse("agreements:licence_member_remove", args=[licence.reference, row.pk])
    )

    assert response.status_code == 405
    assert licence.members.get(pk=row.pk).status == LicenceMember.Status.ACTIVE


def test_read_token_cannot_remove_a_member(client, licence, member):
    row = licence.members.get(user=member)

    response = client.delete(
        f"/api/v1/licences/{licence.reference}/members/{row.pk}",
        **bearer(licence.signer, scope=ApiToken.Scope.READ),
    )

    assert response.status_code == 401
    assert licence.members.get(pk=row.pk).status == LicenceMember.Status.ACTIVE


def test_member_cannot_remove_another_member_of_their_licence(client, licence, member):
    other = licence.members.get(user=member)
    client.force_login(member)

    web = client.post(
        reverse("agreements:licence_member_remove", args=[licence.reference, other.pk])
    )
    api = client.delete(
        f"/api/v1/licences/{licence.reference}/members/{other.pk}", **bearer(member)
    )

    assert web.status_code == 404 and api.status_code == 404
    assert licence.members.get(pk=other.pk).status == LicenceMember.Status.ACTIVE
