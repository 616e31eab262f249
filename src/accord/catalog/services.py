"""Writes for the catalogue: ingesting a folder as a variant's files, each attributed to its
subject (or declared shared) by the variant's path patterns (see catalog.models)."""

from __future__ import annotations

import csv
import mimetypes
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from accord.audit.services import audit_record
from accord.catalog import ingest_files
from accord.catalog.ingest_files import (
    Copier,
    Current,
    IngestError,
    Journal,
    Outcome,
    Progress,
    Stamp,
    Task,
    ingest_lock,
    journal_names,
    outcome_from,
    state_paths,
    store,
)
from accord.catalog.models import (
    DataFile,
    Subject,
    Variant,
    compile_path_pattern,
    same_subject_code,
)
from accord.catalog.releases import release_record_current
from accord.catalog.scanning import ScannerUnavailable, scan_file, scanner_address
from accord.core.storage import protected_storage

mimetypes.add_type("text/csv", ".csv")
mimetypes.add_type("application/x-numpy-data", ".npy")


class IngestInterrupted(IngestError):
    """Ctrl-C: what was recorded stays for the next run."""


class InfectedFilesError(IngestError):
    """The virus scanner found malware; nothing was ingested and the refusal is audited."""

    def __init__(self, infected: list[tuple[str, str]]):
        self.infected = infected
        listing = "; ".join(f"{rel} ({what})" for rel, what in infected)
        super().__init__(
            f"Malware found, nothing was ingested: {listing}. Remove or replace these files "
            "and run the ingest again."
        )


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rescanned: list[str] = field(default_factory=list)  # unchanged, scanned again
    removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    resumed: int = 0  # files an interrupted run had recorded, not read again
    read_files: int = 0
    read_bytes: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.added) + len(self.changed) + len(self.unchanged) + len(self.rescanned)


@dataclass(frozen=True)
class Attribution:
    """Whose a file is: one subject's, shared (no subject's), or, for a variant that declares
    no pattern, not attributed (neither)."""

    subject: Subject | None = None
    shared: bool = False


LISTED_PATHS = 20


def _listing(paths: list[str]) -> str:
    more = len(paths) - LISTED_PATHS
    shown = ", ".join(paths[:LISTED_PATHS])
    return shown + (f" and {more} more" if more > 0 else "")


def attribute_paths(variant: Variant, paths: list[str]) -> dict[str, Attribution]:
    """Each path's subject or shared marker by the variant's patterns; IngestError naming the
    paths that match neither or name a subject the dataset does not have."""
    try:
        subject_re = compile_path_pattern(variant.subject_pattern, needs_subject=True)
        shared_re = compile_path_pattern(variant.shared_pattern, needs_subject=False)
    except ValueError as exc:
        raise IngestError(f"The variant's path pattern cannot be used: {exc}") from exc
    if subject_re is None:
        return {rel: Attribution() for rel in paths}
    subjects = list(Subject.objects.filter(dataset_id=variant.dataset_id))
    found: dict[str, Attribution] = {}
    unmatched: list[str] = []
    unknown: list[str] = []
    for rel in paths:
        match = subject_re.search(rel)
        code = match.group("subject") if match else None
        if code:
            subject = next((s for s in subjects if same_subject_code(code, s.code)), None)
            if subject is None:
                unknown.append(f"{rel} ({code})")
            else:
                found[rel] = Attribution(subject=subject)
        elif shared_re is not None and shared_re.search(rel):
            found[rel] = Attribution(shared=True)
        else:
            unmatched.append(rel)
    problems = []
    if unmatched:
        problems.append(
            f"{len(unmatched)} file(s) match neither the subject pattern nor the shared-files "
            f"pattern: {_listing(unmatched)}"
        )
    if unknown:
        problems.append(
            f"{len(unknown)} file(s) name a subject {variant.dataset} does not have: "
            f"{_listing(unknown)}"
        )
    if problems:
        raise IngestError(
            "Nothing was ingested. "
            + "; ".join(problems)
            + ". Add the subjects, correct the variant's patterns or move the files, and run "
            "the ingest again."
        )
    return found


def _sheets_with_withdrawn_rows(
    variant: Variant, files: list[tuple[str, Path]], attribution: dict[str, Attribution]
) -> dict[str, list[str]]:
    """Shared CSV sheets (with the variant's subject column) that still hold rows of a subject
    who withdrew consent, with those subjects' codes: ingesting them would serve the rows a
    withdrawal redacted away."""
    if not variant.subject_column:
        return {}
    withdrawn = list(
        Subject.objects.filter(dataset_id=variant.dataset_id, status=Subject.Status.WITHDRAWN)
    )
    if not withdrawn:
        return {}
    found: dict[str, list[str]] = {}
    for rel, real in files:
        if not (attribution[rel].shared and rel.lower().endswith(".csv")):
            continue
        try:
            with real.open(encoding="utf-8-sig", newline="") as fh:
                rows = csv.reader(fh)
                header = next(rows, [])
                if variant.subject_column not in header:
                    continue
                at = header.index(variant.subject_column)
                codes = {row[at].strip() for row in rows if len(row) > at}
        except (OSError, UnicodeDecodeError, csv.Error):
            continue  # not a sheet Accord can read: ingested as any other file
        hit = sorted(s.code for s in withdrawn if any(same_subject_code(c, s.code) for c in codes))
        if hit:
            found[rel] = hit
    return found


def _walk(root: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, str]]]:
    """Regular files below ``root`` as (relative posix path, real path), and everything that
    is not one, with the reason. Symlinks are followed only while they stay inside ``root``."""
    real_root = root.resolve()
    files: list[tuple[str, Path]] = []
    escaping: list[str] = []
    skipped: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            p = here / name
            if p.is_symlink():
                target = p.resolve()
                if not target.is_relative_to(real_root):
                    escaping.append(p.relative_to(root).as_posix())
                else:
                    skipped.append(
                        (
                            p.relative_to(root).as_posix(),
                            "symlinked folder inside the tree: its files are ingested "
                            "under their real path",
                        )
                    )
        for name in sorted(filenames):
            p = here / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                target = p.resolve()
                if not target.is_relative_to(real_root):
                    escaping.append(rel)
                    continue
                if not target.exists():
                    skipped.append((rel, "broken symlink"))
                    continue
            mode = p.stat().st_mode
            if not stat.S_ISREG(mode):
                skipped.append((rel, "not a regular file"))
                continue
            files.append((rel, p))
    if escaping:
        raise IngestError(
            "These symlinks point outside the folder and were refused; replace them with the "
            "real files or remove them: " + ", ".join(sorted(escaping))
        )
    files.sort()
    return files, skipped


def content_name(variant: Variant, rel: str, digest: str) -> str:
    """Where a file's bytes live in protected storage (see ingest_files.content_name)."""
    return ingest_files.content_name(variant.storage_prefix, rel, digest)


def _delete_unreferenced(names: set[str]) -> None:
    storage = protected_storage()
    ordered = sorted(names)
    for at in range(0, len(ordered), 500):
        batch = ordered[at : at + 500]
        still_used = set(
            DataFile.objects.filter(storage_name__in=batch).values_list("storage_name", flat=True)
        )
        for name in set(batch) - still_used:
            if storage.exists(name):
                storage.delete(name)


def _resumable(
    entry: dict | None, stamp: Stamp, current: Current | None, copier: Copier
) -> Outcome | None:
    """The journal's outcome for a file that has not changed since it was recorded, if that
    outcome can stand in for reading the file again."""
    if entry is None:
        return None
    try:
        outcome = outcome_from(entry)
    except (KeyError, TypeError):
        return None
    if outcome.stamp != stamp or not outcome.storage_name:
        return None
    if not copier.copy_exists(outcome.storage_name, stamp.size):
        return None
    if outcome.scan_status == DataFile.ScanStatus.SKIPPED and copier.scanning:
        return None  # recorded before a scanner was configured: scan it now
    if not outcome.scan_status and not (
        current is not None
        and current.sha256 == outcome.sha256
        and current.size == stamp.size
        and not current.needs_scan
    ):
        return None  # recorded as "the live row's": only while that still holds
    return outcome


def _read_folder(
    *,
    variant: Variant,
    files: list[tuple[str, Path]],
    existing: dict[str, DataFile],
    jobs: int,
    on_progress: Callable[[Progress], None] | None,
    report: IngestReport,
) -> tuple[dict[str, Outcome], set[str]]:
    """Every file's outcome, from the journal of an interrupted run where it still holds and
    by reading the file otherwise; and every stored name the journal had recorded."""
    storage = protected_storage()
    copier = Copier(storage=storage, storage_prefix=variant.storage_prefix, slug=variant.slug)
    journal_path, _lock = state_paths(variant.slug)
    journal = Journal(journal_path)
    entries = journal.entries()
    recorded_names = journal_names(entries.values())
    results: dict[str, Outcome] = {}
    tasks: list[Task] = []
    progress = Progress(files_total=len(files), bytes_total=0)
    for rel, real in files:
        try:
            stamp = Stamp.of(real)
        except OSError as exc:
            raise ingest_files.read_failed(rel, exc) from exc
        progress.bytes_total += stamp.size
        row = existing.get(rel)
        current = (
            Current(
                sha256=row.sha256,
                size=row.size,
                storage_name=row.storage_name,
                needs_scan=copier.scanning and row.scan_status != DataFile.ScanStatus.CLEAN,
            )
            if row is not None
            else None
        )
        resumed = _resumable(entries.get(rel), stamp, current, copier)
        if resumed is not None:
            results[rel] = resumed
            progress.resumed_files += 1
            progress.resumed_bytes += stamp.size
        else:
            tasks.append(Task(rel=rel, real=real, stamp=stamp, current=current))
    progress.files_done = progress.resumed_files
    if on_progress is not None:
        on_progress(progress)
    copier.start()
    try:
        results.update(
            ingest_files.run(
                tasks,
                copier=copier,
                journal=journal,
                progress=progress,
                on_progress=on_progress,
                jobs=jobs,
            )
        )
    except KeyboardInterrupt as exc:
        raise IngestInterrupted(
            _(
                "Interrupted: %(n)d files recorded; nothing else was changed. Run the same "
                "command again to continue where it stopped."
            )
            % {"n": len(journal.entries())}
        ) from exc
    finally:
        copier.finish()
    progress.finished = True
    if on_progress is not None:
        on_progress(progress)
    report.resumed = progress.resumed_files
    report.read_files = len(tasks)
    report.read_bytes = progress.read_bytes
    report.seconds = progress.elapsed
    return results, recorded_names | journal_names(journal.entries().values())


def variant_ingest(
    *,
    variant: Variant,
    folder: Path,
    prune: bool = False,
    actor=None,
    jobs: int | None = None,
    restart: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> IngestReport:
    """Record (and copy into protected storage) every file below ``folder`` as ``variant``'s.

    Re-runnable: unchanged files are left alone, changed ones replaced, files gone from the
    folder reported as missing (deleted from the variant only with ``prune``). The files are
    read on ``jobs`` threads outside any transaction, each finished one recorded in a journal
    (ACCORD_INGEST_STATE_DIR), so running the same command after an interruption reads only
    what was not finished (``restart`` forgets the journal). New copies are written under
    content-addressed names and the rows swapped in one transaction; copies the rows no
    longer name are deleted only after it commits, so a refused or failed ingest leaves
    every served file as it was, and no file but the journal's finished copies.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise IngestError(f"{folder} is not a folder.")
    with ingest_lock(variant.slug):
        if restart:
            journal_path, _lock = state_paths(variant.slug)
            journal = Journal(journal_path)
            _delete_unreferenced(journal_names(journal.entries().values()))
            journal.discard()
        return _ingest(
            variant=variant,
            folder=folder,
            prune=prune,
            actor=actor,
            jobs=jobs or ingest_files.default_jobs(),
            on_progress=on_progress,
        )


def _ingest(
    *,
    variant: Variant,
    folder: Path,
    prune: bool,
    actor,
    jobs: int,
    on_progress: Callable[[Progress], None] | None,
) -> IngestReport:
    files, skipped = _walk(folder)
    attribution = attribute_paths(variant, [rel for rel, _ in files])
    # A withdrawn subject's files never come back, whatever the folder still holds.
    withdrawn = {
        rel
        for rel, _ in files
        if (owner := attribution[rel].subject) is not None
        and owner.status == Subject.Status.WITHDRAWN
    }
    skipped += [(rel, "its subject withdrew consent: not ingested") for rel in sorted(withdrawn)]
    sheets = _sheets_with_withdrawn_rows(variant, files, attribution)
    skipped += [
        (
            rel,
            f"holds rows of subject(s) {', '.join(codes)}, who withdrew consent: the redacted "
            "copy stays; remove their rows from the sheet to update it",
        )
        for rel, codes in sheets.items()
    ]
    files = [(rel, real) for rel, real in files if rel not in withdrawn and rel not in sheets]
    report = IngestReport(skipped=skipped)
    storage = protected_storage()
    existing = {f.path: f for f in variant.files.filter(retired_at__isnull=True)}
    outcomes, recorded_names = _read_folder(
        variant=variant,
        files=files,
        existing=existing,
        jobs=jobs,
        on_progress=on_progress,
        report=report,
    )
    seen: set[str] = set(sheets)  # their current (redacted) copies are neither missing nor pruned
    written: list[str] = []  # copies this transaction made itself (rare: see below)
    superseded: set[str] = set()
    infected: list[tuple[str, str]] = []
    new_rows: list[DataFile] = []
    journal_path, _lock = state_paths(variant.slug)
    try:
        with transaction.atomic():
            for rel, real in files:
                seen.add(rel)
                outcome = outcomes[rel]
                digest, size = outcome.sha256, outcome.size
                current = existing.get(rel)
                same = (
                    current is not None
                    and current.sha256 == digest
                    and current.size == size
                    and storage.exists(current.storage_name)
                )
                # An unchanged file no scanner passed is scanned now if one is configured:
                # only clean files are served in production (access.policy).
                who = attribution[rel]
                if (
                    same
                    and current is not None
                    and (current.scan_status == DataFile.ScanStatus.CLEAN or not scanner_address())
                ):
                    if (current.subject_id, current.shared) != (
                        who.subject.pk if who.subject else None,
                        who.shared,
                    ):
                        current.subject, current.shared = who.subject, who.shared
                        current.save(update_fields=["subject", "shared", "updated"])
                    report.unchanged.append(rel)
                    continue
                verdict = outcome.verdict
                if verdict is None:  # the live row changed under a resumed journal entry
                    try:
                        verdict = scan_file(real)
                    except ScannerUnavailable as exc:
                        raise IngestError(str(exc)) from exc
                if verdict.infected:
                    infected.append((rel, verdict.detail))
                    continue
                name = outcome.storage_name or content_name(variant, rel, digest)
                if not outcome.storage_name and store(storage, name, real, rel, digest, size):
                    written.append(name)
                media_type = mimetypes.guess_type(rel)[0] or "application/octet-stream"
                if current is None:
                    new_rows.append(
                        DataFile(
                            variant=variant,
                            path=rel,
                            size=size,
                            sha256=digest,
                            media_type=media_type,
                            storage_name=name,
                            scan_status=verdict.status,
                            scan_detail=verdict.detail,
                            subject=who.subject,
                            shared=who.shared,
                        )
                    )
                    report.added.append(rel)
                else:
                    if current.storage_name != name:
                        superseded.add(current.storage_name)
                    current.size, current.sha256 = size, digest
                    current.media_type, current.storage_name = media_type, name
                    current.scan_status, current.scan_detail = verdict.status, verdict.detail
                    current.subject, current.shared = who.subject, who.shared
                    current.save()
                    (report.rescanned if same else report.changed).append(rel)
            DataFile.objects.bulk_create(new_rows, batch_size=500)
            for rel, data_file in existing.items():
                if rel in seen:
                    continue
                if prune:
                    superseded.add(data_file.storage_name)
                    data_file.delete()
                    report.removed.append(rel)
                else:
                    report.missing.append(rel)
            if infected:
                raise InfectedFilesError(infected)
            if (
                report.added
                or report.changed
                or report.rescanned
                or report.removed
                or report.missing
            ):
                release_record_current(variant=variant)
                audit_record(
                    event_type="catalog:variant:ingest",
                    actor=actor,
                    target=variant,
                    custodian_id=variant.dataset.custodian_id,
                    dataset_id=variant.dataset_id,
                    details={
                        "folder": str(folder),
                        "added": len(report.added),
                        "changed": len(report.changed),
                        "unchanged": len(report.unchanged),
                        "rescanned": len(report.rescanned),
                        "removed": len(report.removed),
                        "missing": len(report.missing),
                        "skipped": len(report.skipped),
                    },
                )
            # The journal has served its purpose once the rows commit; copies it recorded
            # that no row names (files changed again since) go with the superseded ones.
            leftovers = superseded | recorded_names

            def after_commit() -> None:
                Journal(journal_path).discard()
                _delete_unreferenced(leftovers)

            transaction.on_commit(after_commit)
    except BaseException as exc:
        # The rows rolled back: remove the copies this transaction wrote (nothing names
        # them). The journal's copies stay for the next run.
        for name in written:
            if name not in recorded_names and storage.exists(name):
                storage.delete(name)
        if isinstance(exc, InfectedFilesError):
            audit_record(
                event_type="catalog:variant:ingest-refused",
                actor=actor,
                target=variant,
                custodian_id=variant.dataset.custodian_id,
                dataset_id=variant.dataset_id,
                details={"folder": str(folder), "infected": dict(exc.infected)},
            )
        raise
    return report
