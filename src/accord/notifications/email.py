"""Sending email: every message goes through ``send_templated`` after the transaction that
caused it commits (call it inside ``transaction.on_commit`` or through ``notify_on_commit``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


def _clean(addresses: Iterable[str] | None) -> list[str]:
    seen: dict[str, None] = {}
    for address in addresses or ():
        if address:
            seen.setdefault(address.strip().lower(), None)
    return list(seen)


def send_templated(
    *,
    to: Iterable[str],
    template: str,
    context: dict,
    cc: Iterable[str] | None = None,
    reply_to: Iterable[str] | None = None,
) -> int:
    """Render ``templates/email/<template>.subject.txt`` and ``.body.txt`` and send them.
    A recipient who is also in ``to`` is dropped from ``cc``."""
    ctx = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context}
    subject = render_to_string(f"email/{template}.subject.txt", ctx).strip().replace("\n", " ")
    body = render_to_string(f"email/{template}.body.txt", ctx)
    to_list = _clean(to)
    cc_list = [a for a in _clean(cc) if a not in to_list]
    message = EmailMessage(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to_list,
        cc=cc_list,
        reply_to=_clean(reply_to) or None,
    )
    return message.send(fail_silently=False)


def notify_on_commit(**kwargs) -> None:
    """Queue ``send_templated(**kwargs)`` for when the current transaction commits."""

    def _send():
        try:
            send_templated(**kwargs)
        except Exception:  # a mail server outage must not undo a committed decision
            log.exception("could not send %s email to %s", kwargs.get("template"), kwargs.get("to"))

    transaction.on_commit(_send)
