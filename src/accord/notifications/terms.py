"""Emails about changes of terms: the notice to every holder when new terms are published,
reminders to the signer, the signer's acceptance, and a licence suspended or voided because
the new terms were refused or not accepted in time. Each holder gets their own message."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accord.core import clock
from accord.notifications.email import (
    Draft,
    _clean,
    _languages_of,
    notify_on_commit,
    templated_messages,
)
from accord.notifications.outbox import queue_messages


def _context(change) -> dict:
    licence = change.licence
    return {
        "change": change,
        "licence": licence,
        "dataset": licence.dataset,
        "custodian": licence.dataset.custodian,
        "version": change.license_version,
        "terms_url": settings.SITE_URL
        + reverse("agreements:licence_terms", args=[licence.reference]),
    }


def _holders(licence) -> list[tuple[str, str, bool]]:
    from accord.licences.models import LicenceMember

    people = [(licence.signer.email, licence.signer.full_name, True)]
    people += [
        (m.email, m.full_name, False)
        for m in licence.members.filter(status=LicenceMember.Status.ACTIVE).order_by("email")
    ]
    return people


def _to_holders(change, template: str, **extra) -> None:
    context = {**_context(change), **extra}
    for email, name, is_signer in _holders(change.licence):
        notify_on_commit(
            to=[email],
            template=f"licences/{template}",
            context={**context, "name": name, "is_signer": is_signer},
            reply_to=[change.licence.dataset.custodian.contact_email],
        )


# Changes whose notices one task writes: a publish to 20k licences enqueues 40 tasks.
NOTICE_BATCH = 500


def terms_notices_enqueue(change_ids: list[int]) -> None:
    """On commit, one task per ``NOTICE_BATCH`` changes writes their holders' notices."""
    from accord.notifications.tasks import terms_notices as task

    for start in range(0, len(change_ids), NOTICE_BATCH):
        batch = change_ids[start : start + NOTICE_BATCH]
        transaction.on_commit(partial(task.enqueue, batch), robust=True)


@transaction.atomic
def terms_notices(change_ids: list[int]) -> int:
    """Queue the notice of each change to its licence's holders (the signer and each active
    member, one email each, in each one's language), in a few queries and one insert. A
    change whose notices were queued already (``notified_at``) is skipped, so a retried or
    doubled task sends nothing twice. Returns the number of emails queued."""
    from accord.licences.models import LicenceMember, TermsChange

    changes = list(
        TermsChange.objects.select_for_update(of=("self",))
        .filter(pk__in=change_ids, notified_at__isnull=True)
        .select_related(
            "license_version",
            "licence",
            "licence__signer",
            "licence__dataset",
            "licence__dataset__custodian",
        )
        .order_by("pk")
    )
    if not changes:
        return 0
    members: dict[int, list] = {}
    for m in (
        LicenceMember.objects.filter(
            licence_id__in=[c.licence_id for c in changes], status=LicenceMember.Status.ACTIVE
        )
        .only("licence_id", "email", "full_name")
        .order_by("licence_id", "email")
    ):
        members.setdefault(m.licence_id, []).append((m.email, m.full_name, False))
    people = {
        c.pk: [
            (c.licence.signer.email, c.licence.signer.full_name, True),
            *members.get(c.licence_id, []),
        ]
        for c in changes
    }
    addresses = _clean([email for holders in people.values() for email, _, _ in holders])
    languages = _languages_of(addresses)
    drafts: dict[str, list[Draft]] = {}  # by language: each rendered with its language on
    for change in changes:
        context = _context(change)
        reply_to = [change.licence.dataset.custodian.contact_email]
        seen: set[str] = set()
        for email, name, is_signer in people[change.pk]:
            address = _clean([email])
            if not address or address[0] in seen:
                continue  # the signer is also listed as a member: one notice
            seen.add(address[0])
            drafts.setdefault(languages[address[0]], []).append(
                Draft(
                    to=address,
                    context={**context, "name": name, "is_signer": is_signer},
                    reply_to=reply_to,
                )
            )
    messages = [
        message
        for language, group in drafts.items()
        for message in templated_messages(language, template="licences/terms_notice", drafts=group)
    ]
    queue_messages(messages)
    TermsChange.objects.filter(pk__in=[c.pk for c in changes]).update(notified_at=clock.now())
    return len(messages)


def terms_reminder(change, *, days: int) -> None:
    licence = change.licence
    notify_on_commit(
        to=[licence.signer.email],
        template="licences/terms_reminder",
        context={**_context(change), "name": licence.signer.full_name, "days": days},
        reply_to=[licence.dataset.custodian.contact_email],
    )


def terms_accepted(change) -> None:
    _to_holders(change, "terms_accepted")


def terms_lapsed(change) -> None:
    _to_holders(change, "terms_lapsed")


def licence_voided(change, *, reason: str) -> None:
    _to_holders(change, "terms_void", reason=reason)
