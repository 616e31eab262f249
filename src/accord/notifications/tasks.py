"""Background tasks of the notifications app (run by ``accord db_worker``)."""

from __future__ import annotations

from django_tasks import task

from accord.notifications import outbox


@task()
def deliver_email(email_id: int) -> str | None:
    status = outbox.deliver(email_id)
    return str(status) if status else None


@task()
def deliver_emails(email_ids: list[int]) -> dict[str, int]:
    """A fan-out's batch of emails, over one connection to the mail server."""
    return outbox.deliver_many(email_ids)


@task()
def terms_notices(change_ids: list[int]) -> int:
    """Write the notices of a batch of new-terms changes (accord.licences.services_terms)."""
    from accord.notifications import terms

    return terms.terms_notices(change_ids)
