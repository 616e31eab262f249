"""accord ingest VARIANT FOLDER: record a folder's files as a variant's data."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accord.catalog.models import Variant
from accord.catalog.services import IngestError, IngestInterrupted, Progress, variant_ingest

# Without a terminal (a log, cron, systemd), one plain progress line this often.
PLAIN_EVERY_SECONDS = 60.0


def size_text(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover - the loop returns


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds + 0.5)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def progress_text(slug: str, p: Progress) -> str:
    return _(
        "%(slug)s: %(done)d/%(total)d files, %(bytes_done)s/%(bytes_total)s, "
        "%(rate)s/s, ETA %(eta)s"
    ) % {
        "slug": slug,
        "done": p.files_done,
        "total": p.files_total,
        "bytes_done": size_text(p.bytes_done),
        "bytes_total": size_text(p.bytes_total),
        "rate": size_text(p.rate),
        "eta": duration_text(0 if p.finished else p.eta),
    }


def _plain(text: str) -> str:
    """Progress goes to stderr, which Django colours as errors on a terminal: not this."""
    return text


class ProgressLine:
    """On a terminal, one line redrawn in place; otherwise a plain line now and then (and a
    last one if there were any), so logs stay short."""

    def __init__(self, command: BaseCommand, slug: str):
        self.out = command.stderr
        self.stdout = command.stdout
        self.slug = slug
        self.tty = self.out.isatty()
        self.started = False
        self.drawn = False  # a terminal line not yet ended
        self.plain_lines = 0
        self.last_plain = time.monotonic()

    def __call__(self, p: Progress) -> None:
        if not self.started:
            self.started = True
            if p.resumed_files:
                self.stdout.write(
                    _("resumed: %(resumed)d files already recorded, hashing %(rest)d")
                    % {"resumed": p.resumed_files, "rest": p.to_read}
                )
        text = progress_text(self.slug, p)
        if self.tty:
            self.out.write("\r\x1b[K" + text, style_func=_plain, ending="\n" if p.finished else "")
            self.out.flush()
            self.drawn = not p.finished
            return
        due = time.monotonic() - self.last_plain >= PLAIN_EVERY_SECONDS
        if due or (p.finished and self.plain_lines):
            self.out.write(text, style_func=_plain)
            self.plain_lines += 1
            self.last_plain = time.monotonic()

    def close(self) -> None:
        """End the terminal line when the ingest stopped half-way."""
        if self.drawn:
            self.out.write("")
            self.drawn = False


class Command(BaseCommand):
    help = (
        "Ingest a folder as a variant's files (size and SHA-256 of each, copied into protected "
        "storage); re-runnable, and an interrupted run resumes where it stopped."
    )
    # The checks load every URL and admin module, seconds on a busy host, and check nothing
    # ingest uses; `accord check --deploy` runs them where they matter.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("variant", help="variant slug, e.g. smic-e")
        parser.add_argument("folder", type=Path)
        parser.add_argument(
            "--prune",
            action="store_true",
            help="delete files from the variant that are no longer in FOLDER",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="files read at once (default: the number of CPU cores, at least 2)",
        )
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="no progress and no line per file: only problems and the summary",
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="forget what an interrupted ingest had recorded and read every file again",
        )

    def handle(self, *args, variant, folder, prune, jobs, quiet, restart, **options):
        try:
            target = Variant.objects.select_related("dataset").get(slug=variant)
        except Variant.DoesNotExist as exc:
            known = ", ".join(Variant.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No variant {variant!r}. Known variants: {known}.") from exc
        if jobs is not None and jobs < 1:
            raise CommandError(_("--jobs must be at least 1."))
        line = None if quiet else ProgressLine(self, target.slug)
        try:
            report = variant_ingest(
                variant=target,
                folder=folder,
                prune=prune,
                jobs=jobs,
                restart=restart,
                on_progress=line,
            )
        except IngestInterrupted as exc:
            raise CommandError(str(exc), returncode=130) from exc
        except IngestError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if line is not None:
                line.close()
        if not quiet:
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
        if not quiet:
            seconds = max(report.seconds, 1e-6)
            self.stdout.write(
                _(
                    "read %(files)d files (%(bytes)s) in %(seconds).1f s, %(rate)s/s; "
                    "%(resumed)d resumed from an interrupted run"
                )
                % {
                    "files": report.read_files,
                    "bytes": size_text(report.read_bytes),
                    "seconds": report.seconds,
                    "rate": size_text(report.read_bytes / seconds),
                    "resumed": report.resumed,
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{target.slug}: {len(report.added)} added, {len(report.changed)} changed, "
                f"{len(report.unchanged)} unchanged, {len(report.rescanned)} rescanned, "
                f"{len(report.removed)} removed, "
                f"{len(report.missing)} missing, {len(report.skipped)} skipped."
            )
        )
