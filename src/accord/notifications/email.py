"""Sending email: every message goes through ``send_templated`` after the transaction that
caused it commits (call it inside ``transaction.on_commit`` or through ``notify_on_commit``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import get_template
from django.utils import translation

log = logging.getLogger(__name__)


def _clean(addresses: Iterable[str] | None) -> list[str]:
    """Addresses once each, lower-cased. An address under the reserved ``.invalid`` domain
    (an erased person's pseudonym, ``…@erased.invalid``) can never be delivered: dropped."""
    seen: dict[str, None] = {}
    for address in addresses or ():
        address = (address or "").strip().lower()
        if address and not address.endswith(".invalid"):
            seen.setdefault(address, None)
    return list(seen)


def _languages_of(addresses: list[str]) -> dict[str, str]:
    """Each address's language: its account's preference, else English."""
    from accord.accounts.languages import supported
    from accord.accounts.models import User

    known = dict(User.objects.filter(email__in=addresses).values_list("email", "language"))
    return {a: supported(known.get(a)) or settings.LANGUAGE_CODE for a in addresses}


def send_templated(
    *,
    to: Iterable[str],
    template: str,
    context: dict,
    cc: Iterable[str] | None = None,
    reply_to: Iterable[str] | None = None,
) -> int:
    """Render ``templates/email/<template>.subject.txt`` and ``.body.txt`` and send them, in
    each recipient's preferred language (English when they have none): one message per
    language among ``to``; ``cc`` goes with the first. A recipient who is also in ``to`` is
    dropped from ``cc``."""
    from .preferences import opted_out

    ctx = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context}
    to_list = _clean(to)
    cc_list = [a for a in _clean(cc) if a not in to_list]
    declined = opted_out([*to_list, *cc_list], template)  # only optional kinds, by choice
    if declined:
        to_list = [a for a in to_list if a not in declined]
        cc_list = [a for a in cc_list if a not in declined]
        if not to_list and not cc_list:
            return 0
    by_language: dict[str, list[str]] = {}
    for address, language in _languages_of(to_list).items():
        by_language.setdefault(language, []).append(address)
    sent = 0
    for index, (language, addresses) in enumerate(by_language.items() or [("en", [])]):
        message = templated_message(
            language,
            to=addresses,
            template=template,
            context=ctx,
            cc=cc_list if index == 0 else [],
            reply_to=reply_to,
        )
        sent += message.send(fail_silently=False)
    return sent


def templated_message(
    language: str,
    *,
    to: list[str],
    template: str,
    context: dict,
    cc: list[str] | None = None,
    reply_to: Iterable[str] | None = None,
) -> EmailMessage:
    """The (unsent) message ``send_templated`` writes for ``to`` in ``language``."""
    draft = Draft(to=to, context=context, cc=cc or (), reply_to=reply_to)
    return templated_messages(language, template=template, drafts=[draft])[0]


class Draft(NamedTuple):
    """One message of a template: its recipients and its own context."""

    to: list[str]
    context: dict
    cc: Sequence[str] = ()
    reply_to: Iterable[str] | None = None


def templated_messages(
    language: str, *, template: str, drafts: Iterable[Draft]
) -> list[EmailMessage]:
    """The (unsent) messages of ``template`` in ``language``, one per draft: fan-outs that
    queue thousands at once (accord.notifications.terms) find the templates and switch the
    language once, not for every message."""
    subject_template = get_template(f"email/{template}.subject.txt")
    body_template = get_template(f"email/{template}.body.txt")
    site = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
    messages = []
    with translation.override(language):
        for draft in drafts:
            ctx = {**site, **draft.context}
            subject = subject_template.render(ctx)
            messages.append(
                EmailMessage(
                    subject=f"[{settings.SITE_NAME}] {subject.strip().replace(chr(10), ' ')}",
                    body=body_template.render(ctx),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=draft.to,
                    cc=list(draft.cc),
                    reply_to=_clean(draft.reply_to) or None,
                )
            )
    return messages


def notify_on_commit(**kwargs) -> None:
    """Queue ``send_templated(**kwargs)`` for when the current transaction commits."""

    def _send():
        try:
            send_templated(**kwargs)
        except Exception:  # a mail server outage must not undo a committed decision
            log.exception("could not send %s email to %s", kwargs.get("template"), kwargs.get("to"))

    transaction.on_commit(_send)
