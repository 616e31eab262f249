"""``accord backup DEST``: a consistent archive of the database, protected files, the signing
public key and the audit head, its manifest signed with the audit key (see accord.ops.backup)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accord.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write a backup archive (tar.gz) that `accord restore` brings back."

    def add_arguments(self, parser):
        parser.add_argument("dest", help="archive to create, e.g. accord-2026-11-21.tar.gz")
        parser.add_argument(
            "--include-datasets",
            action="store_true",
            help="also store dataset files (by default only their index: name, size, SHA-256)",
        )

    def handle(self, *args, dest, include_datasets, **options):
        try:
            report = backup(dest, include_datasets=include_datasets)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup written to {report.path}: {report.files_indexed} protected files indexed, "
            f"{report.files_stored} stored; audit head {report.audit_seq}:{report.audit_hash}"
        )
        if not report.audit_ok:
            self.stderr.write(
                "WARNING: the audit chain did not verify when backed up; run "
                "`accord audit verify` and keep this backup as evidence."
            )
