"""`accord fetch`: download a variant's files in parallel, resume, verify against the signed
manifest, and keep them in a private folder.

Layout in DIR: the verified files at their manifest paths; DIR/.accord/ holds the manifest,
the portal's signing key (pinned on first use), partial downloads and a cache of verified
files (size, mtime, inode) so a second run does not re-hash what it already checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
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
        console: Console | None = None,
    ):
        self.portal = portal
        self.variant = variant
        self.dest = Path(os.path.abspath(dest))
        self.meta = self.dest / ".accord"
        self.partial = self.meta / "partial"
        self.parallel = max(1, parallel)
        self.recheck = recheck
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
        for path in outcome.changed:
            self.console.print(
                f"[red]changed on disk:[/] {path} no longer matches the signed manifest "
                "(modified or damaged after download); fetching it again"
            )
        if dry_run:
            self._print_plan()
            return outcome
        make_private_dir(self.dest)
        make_private_dir(self.meta)
        make_private_dir(self.partial)
        for name, data in (("manifest.json", manifest_bytes), ("signing-key.pem", key_pem)):
            with _open_private(self.meta / name, append=False) as fh:
                fh.write(data)
        if not todo:
            self.console.print("Every file is complete and verified; nothing to fetch.")
            self.save_cache()
            return outcome
        try:
            self._download_all(todo, outcome)
        finally:
            self.save_cache()
        return outcome

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
