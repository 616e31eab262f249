"""``accord restore SRC``: bring a fresh install back to the state of a backup."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accord.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore an `accord backup` archive into a fresh (empty) install."

    def add_arguments(self, parser):
        parser.add_argument("src", help="archive written by `accord backup`")

    def handle(self, *args, src, **options):
        try:
            report = restore(src)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored: manifest signature verified with audit key {report.audit_key_id}; "
            f"audit head {report.audit_seq}:{report.audit_hash} verified against "
            f"{report.checkpoints} signed checkpoints; {report.files_restored} protected files "
            "restored."
        )
        if report.files_missing:
            self.stdout.write(
                f"{len(report.files_missing)} dataset files were indexed but not in the backup; "
                "re-ingest them from the custodian's originals (`accord ingest`), e.g. "
                + ", ".join(report.files_missing[:5])
            )
        self.stdout.write(report.key_note)
