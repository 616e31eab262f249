"""Emails about applications, licences and members. The signer is copied on every message
about an application (SMIC S3); each function queues its email for after the commit."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accord.notifications.email import notify_on_commit


def _url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _base(application) -> dict:
    return {
        "application": application,
        "dataset": application.dataset,
        "custodian": application.dataset.custodian,
        "application_url": _url("agreements:application_detail", application.reference),
    }


def _to_applicant(application, template: str, **context) -> None:
    to, cc = application.notify_addresses()
    if not to:  # an intake application without a known sender: the signer is the contact
        to, cc = cc, []
    notify_on_commit(
        to=to,
        cc=cc,
        template=f"agreements/{template}",
        context={**_base(application), **context},
        reply_to=[application.dataset.custodian.contact_email],
    )


def application_changed(application, *, action: str, comment: str = "") -> None:
    _to_applicant(application, f"application_{action}", comment=comment)
    if action == "submit" and application.origin == application.Origin.WEB:
        # So that no request waits unseen: the custodian's contact address hears of it.
        notify_on_commit(
            to=[application.dataset.custodian.contact_email],
            template="agreements/custodian_new_application",
            context={
                **_base(application),
                "review_url": _url("agreements:review_detail", application.reference),
            },
        )


def signer_confirmation_requested(application, *, raw_token: str) -> None:
    applicant, _ = application.notify_addresses()
    notify_on_commit(
        to=[application.signer_email],
        cc=applicant,
        template="agreements/signer_confirm",
        context={
            **_base(application),
            "confirm_url": _url("agreements:signer_confirm", raw_token),
            "days": 14,
        },
        reply_to=[application.dataset.custodian.contact_email],
    )


def signer_confirmed(application) -> None:
    _to_applicant(application, "signer_confirmed")


def _member_context(member) -> dict:
    licence = member.licence
    return {
        "member": member,
        "licence": licence,
        "dataset": licence.dataset,
        "signer": licence.signer,
        "accept_url": _url("agreements:member_accept", member.pk),
        "licence_url": _url("agreements:licence_detail", licence.reference),
    }


def member_invited(member) -> None:
    notify_on_commit(
        to=[member.email],
        cc=[member.licence.signer.email],
        template="agreements/member_invited",
        context=_member_context(member),
    )


def member_removed(member) -> None:
    notify_on_commit(
        to=[member.email],
        cc=[member.licence.signer.email],
        template="agreements/member_removed",
        context=_member_context(member),
    )


def member_joined(member) -> None:
    notify_on_commit(
        to=[member.licence.signer.email],
        cc=[member.email],
        template="agreements/member_joined",
        context=_member_context(member),
    )


def licence_status_changed(licence, *, action: str, reason: str) -> None:
    """A custodian suspended, reinstated or revoked a licence: the signer and each active
    member hear of it in their own message (members need not see each other's addresses);
    replies go to the custodian's contact."""
    from accord.licences.models import LicenceMember

    custodian = licence.dataset.custodian
    context = {
        "licence": licence,
        "dataset": licence.dataset,
        "custodian": custodian,
        "reason": reason,
        "licence_url": _url("agreements:licence_detail", licence.reference),
    }
    recipients = [(licence.signer.email, licence.signer.full_name, True)]
    recipients += [
        (m.email, m.full_name, False)
        for m in licence.members.filter(status=LicenceMember.Status.ACTIVE).order_by("email")
    ]
    for email, name, is_signer in recipients:
        notify_on_commit(
            to=[email],
            template=f"agreements/licence_{action}",
            context={**context, "name": name, "is_signer": is_signer},
            reply_to=[custodian.contact_email],
        )
