"""A populated portal for the personal-data tests, built through the services as people use it:
Tomasz applies (his professor Ada signs, Greta and he are the group), the custodian approves,
both members accept and download from their own machines; Tomasz also applied for another
dataset as his own signer and was refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import TestCase

from accord.accounts.models import User
from accord.accounts.services import api_token_create, session_sign_in_record
from accord.agreements import services
from accord.audit.services import RequestContext, current_request
from accord.licences import services as licences
from accord.licences.models import Licence
from tests import factories
from tests.access.factories import variant_with_files
from tests.agreements.factories import complete_details, policy_dataset, signer_confirms, with_scan
from tests.downloads.conftest import _no_proxy_env, issue, signing_key_file  # noqa: F401

TOMASZ_IP, TOMASZ_AGENT = "198.51.100.77", "QuillBrowser/9.1 (Tomasz laptop)"
GRETA_IP, GRETA_AGENT = "203.0.113.9", "GretaAgent/2.0"


@dataclass
class World:
    tomasz: User
    greta: User
    ada: User
    reviewer: User
    licence: Licence
    refused: object  # the refused application Tomasz signed himself

    def tomasz_values(self) -> list[str]:
        """Every personal value of Tomasz the portal was given."""
        return [
            "tomasz.quill@uni-example.edu",
            "Tomasz Quillfeather",
            TOMASZ_IP,
            TOMASZ_AGENT,
            "REG-TQ-4242",
            "Quillfeather Institute of Optics",
            "7 Quill Lane, Featherton",
            "Kept on Tomasz's basement server",
            "Tomasz studies blinking in owls",
            "tomasz laptop token",
        ]

    def others_values(self) -> list[str]:
        return [
            self.greta.email,
            self.greta.full_name,
            GRETA_IP,
            GRETA_AGENT,
            "REG-GO-1111",
            self.ada.email,
            self.ada.full_name,
        ]


def _as(ip: str, agent: str):
    return current_request.set(RequestContext(ip_address=ip, user_agent=agent))


def _download(client, user, data_file, ip, agent):
    path = issue(user, data_file)
    response = client.get(path, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def world(client, settings, other_custodian, other_staff, tmp_path, signing_key_file):  # noqa: F811
    # Every email goes through the outbox, as in production (tests otherwise skip it).
    settings.EMAIL_BACKEND = "accord.notifications.outbox.QueuedEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dataset = policy_dataset(other_custodian)
    variant = variant_with_files(
        dataset, tmp_path, {"s01/clip.bin": b"x" * 2048, "notes.txt": b"hello"}, slug="owl-v"
    )
    tomasz = factories.UserFactory(
        email="tomasz.quill@uni-example.edu", full_name="Tomasz Quillfeather"
    )
    greta = factories.UserFactory(email="greta.other@uni-example.edu", full_name="Greta Otherton")
    ada = factories.UserFactory(email="prof.ada@uni-example.edu", full_name="Ada Lovelace")
    members = [
        {
            "full_name": "Tomasz Quillfeather",
            "email": tomasz.email,
            "extra": {"registration_id": "REG-TQ-4242"},
        },
        {
            "full_name": "Greta Otherton",
            "email": greta.email,
            "extra": {"registration_id": "REG-GO-1111"},
        },
    ]
    details = complete_details(dataset, members=members)
    details.answers = {"data_location": "Kept on Tomasz's basement server"}
    details.purpose = "Tomasz studies blinking in owls"
    token = _as(TOMASZ_IP, TOMASZ_AGENT)
    try:
        session_sign_in_record(
            user=tomasz, device_key=None, user_agent=TOMASZ_AGENT, ip_address=TOMASZ_IP
        )
        api_token_create(user=tomasz, name="tomasz laptop token")
        with TestCase.captureOnCommitCallbacks(execute=True):
            application = services.application_create(
                actor=tomasz, dataset=dataset, details=details
            )
            with_scan(application, tomasz)
            services.application_submit(application=application, actor=tomasz)
    finally:
        current_request.reset(token)
    signer_confirms(application, ada)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.application_decide(decision="approve", application=application, actor=other_staff)
    licence = Licence.objects.get(application=application)
    for person, reg, ip, agent in (
        (tomasz, "REG-TQ-4242", TOMASZ_IP, TOMASZ_AGENT),
        (greta, "REG-GO-1111", GRETA_IP, GRETA_AGENT),
    ):
        token = _as(ip, agent)
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                licences.licence_member_accept(
                    member=licence.members.get(email=person.email),
                    actor=person,
                    extra={"registration_id": reg},
                )
        finally:
            current_request.reset(token)
        _download(client, person, variant.files.get(path="s01/clip.bin"), ip, agent)

    # Tomasz as his own signer for another dataset, refused.
    other = policy_dataset(other_custodian, slug="smic-test", short_name="SMIC", members=False)
    own = complete_details(other, signer_email=tomasz.email, members=[])
    own.signer_name = "Tomasz Quillfeather"
    own.signer_affiliation = "Quillfeather Institute of Optics"
    own.signer_address = "7 Quill Lane, Featherton"
    own.answers = {"data_location": "Kept on Tomasz's basement server"}
    own.purpose = "Tomasz studies blinking in owls"
    token = _as(TOMASZ_IP, TOMASZ_AGENT)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            refused = services.application_create(actor=tomasz, dataset=other, details=own)
            with_scan(refused, tomasz)
            services.application_submit(application=refused, actor=tomasz)
    finally:
        current_request.reset(token)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.application_decide(
            decision="reject", application=refused, actor=other_staff, comment="Out of scope."
        )
    return World(tomasz, greta, ada, other_staff, licence, refused)
