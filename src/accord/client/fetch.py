"""`accord fetch`: download a variant's files in parallel, resume, verify against the signed
manifest, and keep them in a private folder.

Layout in DIR: the verified files at their manifest paths, with the documents the manifest
lists (CITATION.cff, TERMS.md) next to them; DIR/.accord/ holds the manifest, the portal's
signing key (pinned on first use), partial downloads, a cache of verified files (size, mtime,
inode) so a second run does not re-hash what it already checked, and removals.json, the record
of every withdrawn file --remove-withdrawn deleted.

Stale copies are never kept or deleted silently: every file in DIR that the manifest does not
list is reported, those the manifest lists under "withdrawn" (a participant withdrew consent)
as copies the licence requires you to delete. Only --remove-withdrawn deletes, and only a file
listed as withdrawn whose SHA-256 is the one listed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from accord.client.locations import location_warnings, make_private_dir
from accord.client.manifest import ManifestError, load_public_key, verify_document
from accord.client.portal import Portal, PortalError

CHUNK = 1024 * 1024
ATTEMPTS = 4  # per file: network errors resume; one corrupt resume restarts from zero


class FetchError(Exception):
    pass


@dataclass
class Entry:
    path: str
    size: int
    sha256: str
    file_id: int | None = None
    state: str = "fetch"  # fetch | resume | complete | changed
    offset: int = 0


@dataclass
class Outcome:
    fetched: list[str] = field(default_factory=list)
    complete: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # fetched or already there, verified
    stale: list[Stale] = field(default_factory=list)  # left in DIR, reported
    removed: list[Stale] = field(default_factory=list)  # withdrawn copies deleted


@dataclass(frozen=True)
class Withdrawn:
    """A file an earlier release held and a consent withdrawal removed (manifest "withdrawn")."""

    path: str
    sha256: str
    subject: str | None
    release: str
    withdrawn_on: str


@dataclass(frozen=True)
class Stale:
    """A file in DIR that the manifest does not list."""

    path: str
    sha256: str | None  # None for what is not a regular file (a link, a socket)
    withdrawn: Withdrawn | None = None  # listed as withdrawn under this path or hash

    @property
    def must_delete(self) -> bool:
        """Listed as withdrawn and byte for byte the withdrawn copy."""
        return self.withdrawn is not None and self.sha256 == self.withdrawn.sha256

    def describe(self, release: str) -> str:
        if self.withdrawn is None:
            return f"{self.path}: not in release {release} (Accord leaves it alone)"
        when = self.withdrawn.withdrawn_on
        if self.must_delete and self.withdrawn.path != self.path:
            return (
                f"{self.path}: a copy of {self.withdrawn.path}, consent withdrawn on {when}: "
                "you must delete this copy (your licence requires it); --remove-withdrawn "
                "deletes only files at their listed path, so delete this one yourself"
            )
        if self.must_delete:
            return (
                f"{self.path}: consent withdrawn on {when}: you must delete this copy "
                "(your licence requires it)"
            )
        return (
            f"{self.path}: consent withdrawn on {when} for a file of this name, but this copy "
            "differs from the withdrawn one: not removed; check it and delete it if it holds "
            "the withdrawn data"
        )


def withdrawn_entries(manifest: dict) -> list[Withdrawn]:
    """The manifest's "withdrawn" list (absent from older portals' manifests: none)."""
    entries = []
    for item in manifest.get("withdrawn") or []:
        safe_relpath(item["path"])
        entries.append(
            Withdrawn(
                path=item["path"],
                sha256=item["sha256"],
                subject=item.get("subject"),
                release=str(item.get("release") or ""),
                withdrawn_on=str(item.get("withdrawn_on") or "an unknown date"),
            )
        )
    return entries


def find_stale(dest: Path, manifest: dict) -> list[Stale]:
    """Every file under ``dest`` (DIR/.accord aside) that is neither a file nor a document of
    ``manifest``, matched against its withdrawn list by path, else by content."""
    listed = {e["path"] for e in manifest["files"]}
    listed |= {e["path"] for e in manifest.get("documents") or []}
    withdrawn = withdrawn_entries(manifest)
    by_path = {w.path: w for w in withdrawn}
    by_hash = {w.sha256: w for w in withdrawn}
    stale = []
    for root, dirs, files in os.walk(dest):
        here = Path(root)
        if here == dest:
            dirs[:] = [d for d in dirs if d != ".accord"]
        dirs.sort()
        for name in sorted(files):
            path = here / name
            rel = path.relative_to(dest).as_posix()
            if rel in listed:
                continue
            if path.is_symlink() or not path.is_file():
                stale.append(Stale(rel, None, by_path.get(rel)))
                continue
            digest = sha256_file(path).hexdigest()
            stale.append(Stale(rel, digest, by_path.get(rel) or by_hash.get(digest)))
    return stale


def safe_relpath(path: str) -> PurePosixPath:
    """A manifest path as a relative path that cannot leave DIR."""
    rel = PurePosixPath(path)
    if rel.is_absolute() or not rel.parts or any(p in ("..", ".", "") for p in rel.parts):
        raise FetchError(f"refusing the unsafe path {path!r} in the manifest")
    if rel.parts[0] == ".accord":
        raise FetchError(f"refusing the reserved path {path!r} in the manifest")
    return rel


def sha256_file(path: Path, start_hash: hashlib._Hash | None = None) -> hashlib._Hash:
    digest = start_hash or hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest


def _open_private(path: Path, *, append: bool) -> BinaryIO:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o600), "ab" if append else "wb")


class Fetcher:
    def __init__(
        self,
        *,
        portal: Portal,
        variant: str,
        dest: Path,
        parallel: int = 4,
        recheck: bool = False,
        remove_withdrawn: bool = False,
        console: Console | None = None,
    ):
        self.portal = portal
        self.variant = variant
        self.dest = Path(os.path.abspath(dest))
        self.meta = self.dest / ".accord"
        self.partial = self.meta / "partial"
        self.parallel = max(1, parallel)
        self.recheck = recheck
        self.remove_withdrawn = remove_withdrawn
        self.documents: list[Entry] = []
        self.withdrawn: list[Withdrawn] = []
        self.release = ""
        self.console = console or Console(stderr=True, soft_wrap=True)
        self.stop = threading.Event()
        self._cache_lock = threading.Lock()
        self.cache: dict[str, dict] = {}

    # --- plan -------------------------------------------------------------------------------
    def load_manifest(self) -> tuple[bytes, bytes, dict]:
        not_found = (
            f"You are not entitled to '{self.variant}', or it does not exist. "
            f"See {self.portal.url}/access/ for what you hold."
        )
        listing = self.portal.get(
            f"/downloads/variants/{self.variant}/files", not_found=not_found
        ).json()
        manifest_bytes = self.portal.get(
            f"/downloads/variants/{self.variant}/manifest", not_found=not_found
        ).content
        key_pem = self.portal.signing_key()
        pinned = self.meta / "signing-key.pem"
        if pinned.exists() and pinned.read_bytes() != key_pem:
            raise FetchError(
                f"The portal's signing key differs from the one pinned in {pinned} on the first "
                "fetch. If the custodian announced a key change, delete that file and run again."
            )
        try:
            manifest = verify_document(manifest_bytes, load_public_key(key_pem))
        except ManifestError as exc:
            raise FetchError(f"The manifest failed verification: {exc}") from exc
        ids = {f["path"]: f["id"] for f in listing}
        self.entries = []
        for item in manifest["files"]:
            safe_relpath(item["path"])
            self.entries.append(
                Entry(item["path"], item["size"], item["sha256"], ids.get(item["path"]))
            )
        self.documents = []
        for item in manifest.get("documents") or []:  # older portals list none
            safe_relpath(item["path"])
            self.documents.append(Entry(item["path"], item["size"], item["sha256"]))
        self.withdrawn = withdrawn_entries(manifest)
        self.release = str(manifest["variant"]["release"])
        return manifest_bytes, key_pem, manifest

    def _part(self, entry: Entry) -> Path:
        return self.partial / (hashlib.sha256(entry.path.encode()).hexdigest()[:32] + ".part")

    def _cache_key(self, path: Path) -> dict:
        st = path.stat()
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}

    def plan(self) -> None:
        cache_file = self.meta / "verified.json"
        if cache_file.exists():
            try:
                self.cache = json.loads(cache_file.read_text())
            except ValueError:
                self.cache = {}
        for entry in self.entries:
            target = self.dest / entry.path
            part = self._part(entry)
            if target.exists():
                cached = self.cache.get(entry.path)
                if (
                    not self.recheck
                    and cached
                    and cached.get("sha256") == entry.sha256
                    and {k: cached.get(k) for k in ("size", "mtime_ns", "ino")}
                    == self._cache_key(target)
                ):
                    entry.state = "complete"
                    continue
                if target.stat().st_size == entry.size and (
                    sha256_file(target).hexdigest() == entry.sha256
                ):
                    entry.state = "complete"
                    self._remember(entry, target)
                    continue
                entry.state = "changed"
            elif part.exists():
                entry.state, entry.offset = "resume", part.stat().st_size

    def _remember(self, entry: Entry, target: Path) -> None:
        with self._cache_lock:
            self.cache[entry.path] = {"sha256": entry.sha256, **self._cache_key(target)}

    def save_cache(self) -> None:
        if self.meta.exists():
            path = self.meta / "verified.json"
            with _open_private(path, append=False) as fh:
                fh.write(json.dumps(self.cache, indent=1, sort_keys=True).encode())

    # --- download ---------------------------------------------------------------------------
    def download(self, entry: Entry, progress: Progress) -> None:
        if entry.file_id is None:
            raise FetchError("listed in the manifest but not offered for download")
        part = self._part(entry)
        restarted = False
        last_error = ""
        task = progress.add_task(entry.path, total=entry.size)
        try:
            for _attempt in range(ATTEMPTS):
                offset = part.stat().st_size if part.exists() else 0
                if offset > entry.size:
                    part.unlink()
                    offset = 0
                digest = sha256_file(part) if offset else hashlib.sha256()
                progress.update(task, completed=offset)
                try:
                    offset, digest = self._transfer(entry, part, offset, digest, progress, task)
                except httpx.TransportError as exc:
                    last_error = f"network error: {exc}"
                    continue
                if self.stop.is_set():
                    return
                if offset == entry.size and digest.hexdigest() == entry.sha256:
                    self._install(entry, part)
                    return
                part.unlink(missing_ok=True)
                if restarted or offset != entry.size:
                    raise FetchError(
                        f"SHA-256 mismatch (got {digest.hexdigest()[:16]}…, the signed manifest "
                        f"says {entry.sha256[:16]}…; {offset} of {entry.size} bytes): the file "
                        "served does not match the manifest; tell the data custodian"
                    )
                restarted = True  # a resumed file may have a bad prefix: once more from zero
                last_error = "checksum mismatch after resume"
            raise FetchError(f"gave up after {ATTEMPTS} attempts ({last_error})")
        finally:
            progress.remove_task(task)

    def _install(self, entry: Entry, part: Path) -> None:
        target = self.dest / entry.path
        for folder in reversed(safe_relpath(entry.path).parents):
            if str(folder) != ".":
                make_private_dir(self.dest / folder)
        os.chmod(part, 0o600)
        os.replace(part, target)
        self._remember(entry, target)

    def _transfer(
        self,
        entry: Entry,
        part: Path,
        offset: int,
        digest: hashlib._Hash,
        progress: Progress,
        task: TaskID,
    ) -> tuple[int, hashlib._Hash]:
        """Append to (or restart) the partial file, one segment per request: the portal
        checks the licence again for each, and nginx or S3 serve at most a segment on one
        check (a revoked licence stops the download at the next segment). No If-Range: the
        segments may come from nginx, S3 or Django, whose validators differ; the signed
        manifest's SHA-256 is the check, and a file that changed under a resume fails it and
        is fetched again from zero. Returns (bytes, digest)."""
        if offset and offset >= entry.size:
            return offset, digest  # the partial file already holds every byte
        file_id = entry.file_id
        if file_id is None:  # download() refused such entries before calling here
            raise FetchError(f"{entry.path}: the portal did not say how to download it")
        link = self.portal.link(file_id)
        renewed = False
        while not self.stop.is_set():
            end = None
            if link.segment_size and entry.size - offset > link.segment_size:
                end = offset + link.segment_size - 1
            headers = dict(link.headers)
            if offset or end is not None:
                headers["Range"] = f"bytes={offset}-{'' if end is None else end}"
            with self.portal.raw.stream("GET", link.url, headers=headers) as response:
                status = response.status_code
                if status == 410 and not renewed:
                    response.read()
                    link, renewed = self.portal.link(file_id), True  # it expired
                    continue
                if status == 416:
                    part.unlink(missing_ok=True)
                    raise httpx.TransportError("the server refused the range; starting over")
                if status == 206:
                    match = re.match(r"bytes (\d+)-", response.headers.get("content-range", ""))
                    if not match or int(match.group(1)) != offset:
                        raise FetchError("the portal answered a different range than asked for")
                    append = True
                elif status == 200:
                    append, offset, digest = False, 0, hashlib.sha256()
                    progress.update(task, completed=0)
                else:
                    response.read()
                    raise FetchError(f"the portal refused the download: {_problem(response)}")
                before = offset
                with _open_private(part, append=append) as fh:
                    # Whatever arrives, as it arrives (not re-buffered to CHUNK): Ctrl-C is
                    # noticed at the next network read even on a slow link.
                    for chunk in response.iter_bytes():
                        if self.stop.is_set():
                            break
                        fh.write(chunk)
                        digest.update(chunk)
                        offset += len(chunk)
                        progress.update(task, completed=offset)
            renewed = False
            if status == 200 or offset >= entry.size:
                break
            if offset == before:
                raise httpx.TransportError("the portal sent no bytes")
        return offset, digest

    # --- the whole run ----------------------------------------------------------------------
    def run(self, *, dry_run: bool = False) -> Outcome:
        for warning in location_warnings(self.dest):
            self.console.print(f"[yellow]warning:[/] {warning}")
        manifest_bytes, key_pem, manifest = self.load_manifest()
        self.console.print(
            f"{manifest['dataset']['name']} / {manifest['variant']['name']} release "
            f"{manifest['variant']['release']} · licence {manifest['licence']['reference']} "
            f"(terms v{manifest['license_version']['version']}) · "
            f"{len(self.entries)} files, {_size(manifest['total_size'])} · manifest signature OK"
        )
        self.plan()
        outcome = Outcome()
        todo = [e for e in self.entries if e.state != "complete"]
        outcome.complete = [e.path for e in self.entries if e.state == "complete"]
        outcome.changed = [e.path for e in self.entries if e.state == "changed"]
        withdrawn_here = {w.path: w for w in self.withdrawn}
        for path in outcome.changed:
            gone = withdrawn_here.get(path)
            if gone and sha256_file(self.dest / path).hexdigest() == gone.sha256:
                # The withdrawn copy of a file the new release holds in a new version (a
                # shared sheet without the withdrawn subject's rows): replaced, and recorded.
                self.console.print(
                    f"[red]consent withdrawn on {gone.withdrawn_on}:[/] {path} is the "
                    f"withdrawn copy; the release {manifest['variant']['release']} copy "
                    "replaces it"
                )
                self._record_removals([gone], manifest, how="replaced")
                continue
            self.console.print(
                f"[red]changed on disk:[/] {path} no longer matches the signed manifest "
                "(modified or damaged after download); fetching it again"
            )
        if dry_run:
            self._print_plan()
            outcome.stale = find_stale(self.dest, manifest) if self.dest.exists() else []
            return outcome
        make_private_dir(self.dest)
        make_private_dir(self.meta)
        make_private_dir(self.partial)
        for name, data in (("manifest.json", manifest_bytes), ("signing-key.pem", key_pem)):
            with _open_private(self.meta / name, append=False) as fh:
                fh.write(data)
        try:
            if todo:
                self._download_all(todo, outcome)
            else:
                self.console.print("Every file is complete and verified; nothing to fetch.")
            self._fetch_documents(outcome)
        finally:
            self.save_cache()
        outcome.stale = find_stale(self.dest, manifest)
        if self.remove_withdrawn:
            self._remove_withdrawn(outcome, manifest)
        return outcome

    # --- documents (CITATION.cff, TERMS.md) -------------------------------------------------
    def _fetch_documents(self, outcome: Outcome) -> None:
        """Each document the manifest lists, next to the files, checked like them."""
        for doc in self.documents:
            target = self.dest / doc.path
            if target.is_file() and sha256_file(target).hexdigest() == doc.sha256:
                outcome.documents.append(doc.path)
                continue
            try:
                data = self.portal.get(
                    f"/downloads/variants/{self.variant}/documents/{doc.path}",
                    not_found=f"The portal no longer offers {doc.path} to you (access ended?).",
                ).content
            except PortalError as exc:
                outcome.failed[doc.path] = str(exc)
                self.console.print(f"[red]failed:[/] {doc.path}: {exc}")
                continue
            digest = hashlib.sha256(data).hexdigest()
            if len(data) != doc.size or digest != doc.sha256:
                outcome.failed[doc.path] = (
                    f"SHA-256 mismatch (got {digest[:16]}…, the signed manifest says "
                    f"{doc.sha256[:16]}…): the document served does not match the manifest"
                )
                self.console.print(f"[red]failed:[/] {doc.path}: {outcome.failed[doc.path]}")
                continue
            part = self.partial / (hashlib.sha256(doc.path.encode()).hexdigest()[:32] + ".doc")
            with _open_private(part, append=False) as fh:
                fh.write(data)
            self._install(doc, part)
            outcome.documents.append(doc.path)
            self.console.print(f"[green]verified:[/] {doc.path}")

    # --- stale local copies -----------------------------------------------------------------
    def _remove_withdrawn(self, outcome: Outcome, manifest: dict) -> None:
        """Delete exactly the stale files that are byte for byte a withdrawn copy listed
        under their path; nothing else."""
        keep = []
        removed = []
        for item in outcome.stale:
            if item.must_delete and item.withdrawn and item.withdrawn.path == item.path:
                target = self.dest / safe_relpath(item.path)
                if not target.is_symlink() and sha256_file(target).hexdigest() == item.sha256:
                    target.unlink()
                    with self._cache_lock:
                        self.cache.pop(item.path, None)
                    removed.append(item)
                    self.console.print(
                        f"[green]removed:[/] {item.path} (consent withdrawn on "
                        f"{item.withdrawn.withdrawn_on})"
                    )
                    continue
            keep.append(item)
        outcome.stale, outcome.removed = keep, removed
        if removed:
            self._record_removals([r.withdrawn for r in removed if r.withdrawn], manifest)
            self.save_cache()

    def _record_removals(self, gone: list[Withdrawn], manifest: dict, how: str = "deleted") -> None:
        """Append to DIR/.accord/removals.json what was removed, when and under which
        manifest: the record a deletion attestation can point to."""
        make_private_dir(self.meta)
        record = self.meta / "removals.json"
        try:
            done = json.loads(record.read_text()) if record.exists() else []
        except ValueError:
            done = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for w in gone:
            done.append(
                {
                    "path": w.path,
                    "sha256": w.sha256,
                    "subject": w.subject,
                    "release": w.release,
                    "withdrawn_on": w.withdrawn_on,
                    "how": how,
                    "at": now,
                    "manifest_issued_at": manifest.get("issued_at"),
                    "licence": manifest["licence"]["reference"],
                }
            )
        with _open_private(record, append=False) as fh:
            fh.write((json.dumps(done, indent=1, ensure_ascii=False) + "\n").encode())

    def _download_all(self, todo: list[Entry], outcome: Outcome) -> None:
        columns = (
            TextColumn("{task.description}", justify="left"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with (
            Progress(*columns, console=self.console, transient=False) as progress,
            ThreadPoolExecutor(max_workers=self.parallel) as pool,
        ):
            futures = {pool.submit(self.download, e, progress): e for e in todo}
            try:
                for future in as_completed(futures):
                    entry = futures[future]
                    try:
                        future.result()
                    except (FetchError, PortalError, OSError) as exc:
                        outcome.failed[entry.path] = str(exc)
                        self.console.print(f"[red]failed:[/] {entry.path}: {exc}")
                    else:
                        if not self.stop.is_set():
                            outcome.fetched.append(entry.path)
                            self.console.print(f"[green]verified:[/] {entry.path}")
            except KeyboardInterrupt:
                self.stop.set()
                for future in futures:
                    future.cancel()
                raise

    def _print_plan(self) -> None:
        table = Table("file", "size", "action")
        labels = {
            "fetch": "fetch",
            "resume": "resume",
            "complete": "complete, verified",
            "changed": "CHANGED on disk: fetch again",
        }
        for e in self.entries:
            action = labels[e.state]
            if e.state == "resume":
                action = f"resume from {_size(e.offset)}"
            table.add_row(e.path, _size(e.size), action)
        Console(soft_wrap=True).print(table)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _problem(response: httpx.Response) -> str:
    try:
        return f"{response.status_code}: {response.json().get('detail')}"
    except ValueError:
        return f"{response.status_code} {response.reason_phrase}"
