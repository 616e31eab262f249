"""Emails about deletion attestations: the request, reminders before the due date, the
confirmation, and the escalation to the custodian when the due date passes. Each is queued
for after the commit of the action that caused it."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accord.notifications.email import notify_on_commit


def _context(attestation) -> dict:
    licence = attestation.licence
    return {
        "attestation": attestation,
        "licence": licence,
        "dataset": licence.dataset,
        "custodian": licence.dataset.custodian,
        "person": attestation.user,
        "is_signer": attestation.user_id == licence.signer_id,
        "files": list(attestation.files.order_by("path").values_list("path", flat=True)),
        "attestation_url": settings.SITE_URL
        + reverse("agreements:deletion_attestation", args=[attestation.pk]),
    }


def _to_person(attestation, template: str) -> None:
    notify_on_commit(
        to=[attestation.user.email],
        template=f"licences/{template}",
        context=_context(attestation),
        reply_to=[attestation.licence.dataset.custodian.contact_email],
    )


def attestation_requested(attestation) -> None:
    _to_person(attestation, "attestation_requested")


def attestation_reminder(attestation) -> None:
    _to_person(attestation, "attestation_reminder")


def attestation_confirmed(attestation) -> None:
    notify_on_commit(
        to=[attestation.licence.dataset.custodian.contact_email],
        cc=[attestation.user.email],
        template="licences/attestation_confirmed",
        context=_context(attestation),
    )


def attestation_escalated(attestation) -> None:
    context = _context(attestation)
    context["staff_url"] = settings.SITE_URL + reverse(
        "agreements:licence_staff_detail", args=[attestation.licence.reference]
    )
    notify_on_commit(
        to=[attestation.licence.dataset.custodian.contact_email],
        template="licences/attestation_escalated",
        context=context,
    )
