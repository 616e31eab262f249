"""Background tasks of the audit trail (run by ``accord db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def audit_checkpoint() -> str:
    """Sign a checkpoint over the chain's head (enqueued by audit_record, due one interval after
    the last checkpoint)."""
    from accord.audit.checkpoints import checkpoint_write

    return str(checkpoint_write())


@task()
def audit_journal_seal() -> int:
    """Seal the download journal's unsealed rows into the chain (enqueued by journal_append,
    due AUDIT_JOURNAL_SEAL_SECONDS after a row)."""
    from accord.audit.journal import journal_seal

    return journal_seal()
