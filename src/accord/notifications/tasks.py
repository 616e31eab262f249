"""Background tasks of the notifications app (run by ``accord db_worker``)."""

from __future__ import annotations

from django_tasks import task

from accord.notifications import outbox


@task()
def deliver_email(email_id: int) -> str | None:
    status = outbox.deliver(email_id)
    return str(status) if status else None
