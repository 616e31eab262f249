"""Writes for the catalogue: ingesting a folder as a variant's files, each attributed to its
subject (or declared shared) by the variant's path patterns (see catalog.models)."""

from __future__ import annotations

import csv
import errno
import mimetypes
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.db import transaction

from accord.audit.services import audit_record
from accord.catalog.models import (
    DataFile,
    Subject,
    Variant,
    compile_path_pattern,
    same_subject_code,
)
from accord.catalog.releases import release_record_current
from accord.catalog.scanning import ScannerUnavailable, scan_file, scanner_address
from accord.core.storage import protected_storage, sha256_of

mimetypes.add_type("text/csv", ".csv")
mimetypes.add_type("application/x-numpy-data", ".npy")


class IngestError(Exception):
    """The folder cannot be ingested as it is; nothing was changed."""


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
    """Where a file's bytes live in protected storage: named by their SHA-256 (keeping the
    extension), so a new version never overwrites the copy that is being served, and an
    ingest that fails leaves the live copies untouched."""
    suffix = "".join(c for c in Path(rel).suffix.lower()[:12] if c.isalnum() or c == ".")
    return f"{variant.storage_prefix}sha256/{digest[:2]}/{digest}{suffix}"


def _copy_failed(rel: str, exc: OSError) -> IngestError:
    why = exc.strerror or str(exc)
    hint = (
        "free space on the disk that holds ACCORD_PROTECTED_ROOT"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT)
        else "fix the cause"
    )
    return IngestError(
        f"Ingest stopped while copying {rel} into protected storage ({why}); nothing was "
        f"changed. {hint[0].upper()}{hint[1:]} and run the same command again."
    )


def _store(storage, name: str, real: Path, rel: str, digest: str, size: int) -> bool:
    """Copy ``real`` to ``name`` unless an intact copy is already there. True if this call
    wrote the file (so a failed ingest knows what to remove)."""
    if storage.exists(name):
        with storage.open(name, "rb") as fh:
            if sha256_of(fh) == (digest, size):
                return False
        storage.delete(name)  # a damaged leftover (an interrupted copy): replace it
    try:
        with real.open("rb") as fh:
            stored = storage.save(name, File(fh, name=rel))
    except OSError as exc:
        if storage.exists(name):  # the partial copy the failed write left behind
            storage.delete(name)
        raise _copy_failed(rel, exc) from exc
    if stored != name:  # another process wrote the same name between exists() and save()
        storage.delete(stored)
    return True


def _delete_unreferenced(names: set[str]) -> None:
    storage = protected_storage()
    still_used = set(
        DataFile.objects.filter(storage_name__in=names).values_list("storage_name", flat=True)
    )
    for name in names - still_used:
        if storage.exists(name):
            storage.delete(name)


def variant_ingest(
    *, variant: Variant, folder: Path, prune: bool = False, actor=None
) -> IngestReport:
    """Record (and copy into protected storage) every file below ``folder`` as ``variant``'s.

    Re-runnable: unchanged files are left alone, changed ones replaced, files gone from the
    folder reported as missing (deleted from the variant only with ``prune``). New copies are
    written under content-addressed names and the rows swapped in one transaction; copies the
    rows no longer name are deleted only after it commits, so a refused or failed ingest
    leaves every served file as it was and no file it did not record.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise IngestError(f"{folder} is not a folder.")
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
    seen: set[str] = set(sheets)  # their current (redacted) copies are neither missing nor pruned
    written: list[str] = []
    superseded: set[str] = set()
    infected: list[tuple[str, str]] = []
    try:
        with transaction.atomic():
            for rel, real in files:
                seen.add(rel)
                try:
                    with real.open("rb") as fh:
                        digest, size = sha256_of(fh)
                except OSError as exc:
                    raise IngestError(
                        f"Cannot read {rel} ({exc.strerror or exc}); nothing was changed. "
                        "Fix its permissions and run the same command again."
                    ) from exc
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
                try:
                    verdict = scan_file(real)
                except ScannerUnavailable as exc:
                    raise IngestError(str(exc)) from exc
                if verdict.infected:
                    infected.append((rel, verdict.detail))
                    continue
                name = content_name(variant, rel, digest)
                if _store(storage, name, real, rel, digest, size):
                    written.append(name)
                media_type = mimetypes.guess_type(rel)[0] or "application/octet-stream"
                if current is None:
                    DataFile.objects.create(
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
            if superseded:
                transaction.on_commit(lambda: _delete_unreferenced(superseded))
    except BaseException as exc:
        # The rows rolled back: remove the copies this run wrote (nothing live names them).
        for name in written:
            if storage.exists(name):
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
