"""accord ingest VARIANT FOLDER: record a folder's files as a variant's data."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.catalog.models import Variant
from accord.catalog.services import IngestError, variant_ingest


class Command(BaseCommand):
    help = "Ingest a folder as a variant's files (size and SHA-256 of each); re-runnable."

    def add_arguments(self, parser):
        parser.add_argument("variant", help="variant slug, e.g. smic-e")
        parser.add_argument("folder", type=Path)
        parser.add_argument(
            "--prune",
            action="store_true",
            help="delete files from the variant that are no longer in FOLDER",
        )

    def handle(self, *args, variant, folder, prune, **options):
        try:
            target = Variant.objects.select_related("dataset").get(slug=variant)
        except Variant.DoesNotExist as exc:
            known = ", ".join(Variant.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No variant {variant!r}. Known variants: {known}.") from exc
        try:
            report = variant_ingest(variant=target, folder=folder, prune=prune)
        except IngestError as exc:
            raise CommandError(str(exc)) from exc
        for label, items in (
            ("added", report.added),
            ("changed", report.changed),
            ("rescanned", report.rescanned),
            ("removed", report.removed),
        ):
            for rel in items:
                self.stdout.write(f"{label:9} {rel}")
        for rel in report.missing:
            self.stderr.write(
                f"missing   {rel} (in the variant, not in the folder; --prune removes it)"
            )
        for rel, why in report.skipped:
            self.stderr.write(f"skipped   {rel}: {why}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{target.slug}: {len(report.added)} added, {len(report.changed)} changed, "
                f"{len(report.unchanged)} unchanged, {len(report.rescanned)} rescanned, "
                f"{len(report.removed)} removed, "
                f"{len(report.missing)} missing, {len(report.skipped)} skipped."
            )
        )
