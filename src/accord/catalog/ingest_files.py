"""The reading half of `accord ingest`: hash, scan and copy a release's files on every core,
outside any database transaction, and keep a journal so that an interrupted ingest (Ctrl-C, a
crash, a full disk) resumes without reading again what it had finished.

``services.variant_ingest`` decides what the outcomes mean and swaps the rows in one
transaction. The workers are forked processes for a local protected root: hashlib and file
I/O release the GIL, but on a busy host a thread preempted while holding it stalls the
others, and processes do not share it. Threads instead for S3 storage (its clients must not
cross a fork) and inside a process that already runs threads (a server, a test runner): a
fork copies only the forking thread, and a lock another thread held stays locked.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import multiprocessing
import os
import queue
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ThreadPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.translation import gettext as _

from accord.catalog.scanning import (
    SKIPPED,
    InstreamScan,
    ScannerUnavailable,
    Verdict,
    scan_file,
    scanner_address,
)
from accord.core.storage import sha256_of

CHUNK = 1 << 20
# Test hook: "N:INT" or "N:KILL" sends the process that signal once N files are recorded in
# the journal, so tests interrupt an ingest at a known point rather than by timing.
TEST_SIGNAL_AFTER = "ACCORD_INGEST_TEST_SIGNAL_AFTER"
# Under the protected root: copies of an ingest under way (or interrupted, to resume), not yet
# files of the portal (backups leave it out).
PARTIAL_FOLDER = ".ingest-partial"


class IngestError(Exception):
    """The folder cannot be ingested as it is; no file record was changed."""


class _Stopped(Exception):
    """Another file failed or the operator interrupted: this one stops where it is."""


def default_jobs() -> int:
    """Two files per core: one is hashed while the other waits for the disk or network."""
    return min(16, 2 * len(os.sched_getaffinity(0)))


@dataclass(frozen=True)
class Stamp:
    """What says a file is still the one the journal recorded. A write changes the ctime
    even when the size and mtime are put back, so a rewritten file is read again."""

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int

    @classmethod
    def of(cls, path: Path) -> Stamp:
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass(frozen=True)
class Current:
    """The live row of a path, as far as the workers need it."""

    sha256: str
    size: int
    storage_name: str
    needs_scan: bool  # a scanner is configured and never passed this copy as clean


@dataclass
class Task:
    rel: str
    real: Path
    stamp: Stamp
    current: Current | None


@dataclass
class Outcome:
    """What reading one file found. ``storage_name`` names a stored copy of exactly these
    bytes ("" for an infected file, which is never stored); an empty ``scan_status`` means
    the file is the live row's and was not scanned again (its verdict stands)."""

    rel: str
    stamp: Stamp
    sha256: str
    storage_name: str = ""
    scan_status: str = ""
    scan_detail: str = ""
    temp: Path | None = None  # the new copy, until the journal records it
    resumed: bool = False

    @property
    def size(self) -> int:
        return self.stamp.size

    @property
    def verdict(self) -> Verdict | None:
        return Verdict(self.scan_status, self.scan_detail) if self.scan_status else None


@dataclass
class Progress:
    """How far an ingest is, for the command's progress line."""

    files_total: int
    bytes_total: int
    resumed_files: int = 0
    resumed_bytes: int = 0
    files_done: int = 0
    read_bytes: int = 0  # read by this run (hashing, copying, scanning)
    started: float = field(default_factory=time.monotonic)
    finished: bool = False

    @property
    def to_read(self) -> int:
        return self.files_total - self.resumed_files

    @property
    def bytes_done(self) -> int:
        return min(self.bytes_total, self.resumed_bytes + self.read_bytes)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Bytes per second read by this run."""
        return self.read_bytes / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        rate = self.rate
        return (self.bytes_total - self.bytes_done) / rate if rate > 0 else None


def content_name(storage_prefix: str, rel: str, digest: str) -> str:
    """Where a file's bytes live in protected storage: named by their SHA-256 (keeping the
    extension), so a new version never overwrites the copy that is being served, and an
    ingest that fails leaves the live copies untouched."""
    suffix = "".join(c for c in Path(rel).suffix.lower()[:12] if c.isalnum() or c == ".")
    return f"{storage_prefix}sha256/{digest[:2]}/{digest}{suffix}"


def copy_failed(rel: str, exc: OSError) -> IngestError:
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


def read_failed(rel: str, exc: OSError) -> IngestError:
    return IngestError(
        f"Cannot read {rel} ({exc.strerror or exc}); nothing was changed. "
        "Fix its permissions and run the same command again."
    )


def object_store_errors() -> tuple[type[BaseException], ...]:
    """What the S3 client raises for a missing bucket, refused credentials or an endpoint it
    cannot reach (botocore is there whenever S3 storage is configured)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - S3 storage cannot be configured without it
        return ()
    return (BotoCoreError, ClientError)


def object_store_failed(storage: Storage, rel: str, exc: BaseException) -> IngestError:
    bucket = getattr(storage, "bucket_name", "") or "?"
    endpoint = getattr(storage, "endpoint_url", "") or "the default AWS endpoint"
    return IngestError(
        _(
            "Ingest stopped: the object storage refused %(rel)s (bucket %(bucket)s at "
            "%(endpoint)s: %(why)s); nothing was changed. Check ACCORD_STORAGE_S3_BUCKET, "
            "the endpoint and the credentials, then run the same command again."
        )
        % {"rel": rel, "bucket": bucket, "endpoint": endpoint, "why": exc}
    )


def store(storage: Storage, name: str, real: Path, rel: str, digest: str, size: int) -> bool:
    """Copy ``real`` to ``name`` through the storage API (S3) unless an intact copy is
    already there. True if this call wrote the file. A refusal by the object store (no such
    bucket, wrong credentials, endpoint down) is one IngestError line, not a traceback."""
    try:
        return _store(storage, name, real, rel, digest, size)
    except object_store_errors() as exc:
        raise object_store_failed(storage, rel, exc) from exc


def _store(storage: Storage, name: str, real: Path, rel: str, digest: str, size: int) -> bool:
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
        raise copy_failed(rel, exc) from exc
    if stored != name:  # another process wrote the same name between exists() and save()
        storage.delete(stored)
    return True


class Journal:
    """One JSON line per file finished: its stamp, SHA-256, stored copy and verdict. Written
    before the copy is moved to its content name, so every copy an interrupted ingest left
    is named here (and a named copy that is missing is simply made again)."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = None

    def entries(self) -> dict[str, dict]:
        found: dict[str, dict] = {}
        try:
            with self.path.open(encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                        found[entry["p"]] = entry
                    except (ValueError, KeyError, TypeError):
                        continue  # the half-written last line of a crash
        except FileNotFoundError:
            pass
        return found

    def record(self, outcome: Outcome) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        s = outcome.stamp
        line = {
            "p": outcome.rel,
            "s": s.size,
            "m": s.mtime_ns,
            "c": s.ctime_ns,
            "i": s.ino,
            "h": outcome.sha256,
            "n": outcome.storage_name,
            "v": outcome.scan_status,
            "d": outcome.scan_detail,
        }
        self._fh.write(json.dumps(line, separators=(",", ":")) + "\n")
        # Flushed to the kernel, it survives a killed process. Not fsync'd: under heavy
        # writing an fsync can stall for seconds, and the workers with it; after a power cut
        # the files whose lines were lost are simply read again.
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def journal_names(entries: Iterable[dict]) -> set[str]:
    return {e["n"] for e in entries if e.get("n")}


def outcome_from(entry: dict) -> Outcome:
    return Outcome(
        rel=entry["p"],
        stamp=Stamp(entry["s"], entry["m"], entry["c"], entry["i"]),
        sha256=entry["h"],
        storage_name=entry["n"],
        scan_status=entry["v"],
        scan_detail=entry["d"],
        resumed=True,
    )


def state_paths(slug: str) -> tuple[Path, Path]:
    """The journal and the lock file of a variant's ingest."""
    root = Path(settings.INGEST_STATE_DIR)
    return root / f"{slug}.journal", root / f"{slug}.lock"


@contextmanager
def ingest_lock(slug: str) -> Iterator[None]:
    """One ingest of a variant at a time on this machine (they share its journal)."""
    _journal, lock = state_paths(slug)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fh = lock.open("a")
    except OSError as exc:
        raise IngestError(
            _(
                "Cannot write ingest's journal in %(folder)s (%(why)s); nothing was changed. "
                "Make it writable for this user or set ACCORD_INGEST_STATE_DIR."
            )
            % {"folder": lock.parent, "why": exc.strerror or exc}
        ) from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IngestError(
                _(
                    "Another accord ingest of %(variant)s is running; wait for it to finish, "
                    "then run this one again."
                )
                % {"variant": slug}
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Copier:
    """Reads files for one ingest: each file once where it can (hash, copy and scan from the
    same buffer), the live row's files only hashed (and scanned if they never were)."""

    def __init__(self, *, storage: Storage, storage_prefix: str, slug: str):
        self.storage = storage
        self.prefix = storage_prefix
        self.scanning = bool(scanner_address())
        # Shared with forked workers (and usable by threads alike).
        self._mp = multiprocessing.get_context("fork")
        self.stop = self._mp.Event()
        self._read = self._mp.Value("q", 0)
        self.parent_pid = os.getpid()
        self.local = isinstance(storage, FileSystemStorage)
        if self.local:
            root = Path(storage.location)
            # Same filesystem as the copies, so moving one to its name is an atomic rename.
            self.partial = root / PARTIAL_FOLDER / slug
            dir_mode = storage.directory_permissions_mode
            self.dir_mode = dir_mode if dir_mode is not None else 0o777
            umask = os.umask(0)
            os.umask(umask)
            file_mode = storage.file_permissions_mode
            self.file_mode = file_mode if file_mode is not None else 0o666 & ~umask

    # -- the workers' side -------------------------------------------------------------------

    def _count(self, n: int) -> None:
        with self._read.get_lock():
            self._read.value += n

    @property
    def read_bytes(self) -> int:
        return self._read.value

    def _chunks(self, real: Path, rel: str) -> Iterator[memoryview]:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        try:
            fh = real.open("rb", buffering=0)
        except OSError as exc:
            raise read_failed(rel, exc) from exc
        with fh:
            while True:
                if self.stop.is_set():
                    raise _Stopped
                try:
                    n = fh.readinto(buf)
                except OSError as exc:
                    raise read_failed(rel, exc) from exc
                if not n:
                    return
                self._count(n)
                yield view[:n]

    def _hash(self, task: Task) -> str:
        digest = hashlib.sha256()
        for chunk in self._chunks(task.real, task.rel):
            digest.update(chunk)
        return digest.hexdigest()

    def _scan(self, task: Task) -> Verdict:
        if not self.scanning:
            return SKIPPED
        scan = InstreamScan()
        try:
            for chunk in self._chunks(task.real, task.rel):
                scan.send(chunk)
        except BaseException:
            scan.close()
            raise
        return scan.verdict()

    def process(self, task: Task) -> Outcome:
        try:
            return self._process(task)
        except ScannerUnavailable as exc:
            raise IngestError(str(exc)) from exc

    def _process(self, task: Task) -> Outcome:
        cur = task.current
        if (
            cur is not None
            and cur.size == task.stamp.size
            and self.storage.exists(cur.storage_name)
        ):
            digest = self._hash(task)
            if digest == cur.sha256:
                outcome = Outcome(task.rel, task.stamp, digest, storage_name=cur.storage_name)
                if cur.needs_scan:
                    verdict = self._scan(task)
                    outcome.scan_status, outcome.scan_detail = verdict.status, verdict.detail
                return outcome
        return self._copy_local(task) if self.local else self._copy_through_storage(task)

    def _copy_through_storage(self, task: Task) -> Outcome:
        digest = self._hash(task)
        verdict = scan_file(task.real) if self.scanning else SKIPPED
        outcome = Outcome(task.rel, task.stamp, digest, "", verdict.status, verdict.detail)
        if verdict.infected:
            return outcome
        outcome.storage_name = content_name(self.prefix, task.rel, digest)
        store(self.storage, outcome.storage_name, task.real, task.rel, digest, task.stamp.size)
        return outcome

    def _copy_local(self, task: Task) -> Outcome:
        temp = self.partial / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        scan = InstreamScan() if self.scanning else None
        try:
            try:
                out = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as exc:
                raise copy_failed(task.rel, exc) from exc
            try:
                for chunk in self._chunks(task.real, task.rel):
                    digest.update(chunk)
                    try:
                        written = 0
                        while written < len(chunk):
                            written += os.write(out, chunk[written:])
                    except OSError as exc:
                        raise copy_failed(task.rel, exc) from exc
                    if scan is not None:
                        scan.send(chunk)
                os.fchmod(out, self.file_mode)
            finally:
                os.close(out)
            verdict = scan.verdict() if scan is not None else SKIPPED
        except BaseException:
            if scan is not None:
                scan.close()
            temp.unlink(missing_ok=True)
            raise
        outcome = Outcome(
            task.rel, task.stamp, digest.hexdigest(), "", verdict.status, verdict.detail
        )
        if verdict.infected:
            temp.unlink(missing_ok=True)
            return outcome
        outcome.storage_name = content_name(self.prefix, task.rel, outcome.sha256)
        outcome.temp = temp
        return outcome

    # -- the main thread's side -------------------------------------------------------------

    def start(self) -> None:
        """Remove what a killed run was writing (the caller holds the variant's lock)."""
        if self.local:
            shutil.rmtree(self.partial, ignore_errors=True)
            try:
                self.partial.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise IngestError(
                    _(
                        "Cannot write into protected storage at %(root)s (%(why)s); nothing "
                        "was changed. Fix the cause and run the same command again."
                    )
                    % {"root": self.partial.parent.parent, "why": exc.strerror or exc}
                ) from exc

    def finish(self) -> None:
        if self.local:
            shutil.rmtree(self.partial, ignore_errors=True)
            with contextlib.suppress(OSError):  # another variant's ingest may be using it
                self.partial.parent.rmdir()

    def place(self, outcome: Outcome) -> None:
        """Move a recorded copy to its content name (an atomic rename: a reader of that name
        sees the old bytes or the new, which are the same bytes)."""
        if outcome.temp is None:
            return
        final = Path(self.storage.path(outcome.storage_name))
        try:
            old_umask = os.umask(0o777 & ~self.dir_mode)
            try:
                final.parent.mkdir(mode=self.dir_mode, parents=True, exist_ok=True)
            finally:
                os.umask(old_umask)
            os.replace(outcome.temp, final)
        except OSError as exc:
            outcome.temp.unlink(missing_ok=True)
            raise copy_failed(outcome.rel, exc) from exc
        outcome.temp = None

    def copy_exists(self, name: str, size: int) -> bool:
        try:
            if self.local:
                return Path(self.storage.path(name)).stat().st_size == size
            return self.storage.exists(name) and self.storage.size(name) == size
        except OSError:
            return False


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def can_fork() -> bool:
    return threading.active_count() == 1


def _worker_start(copier: Copier) -> None:
    """In a forked worker: Ctrl-C reaches the whole process group, but stopping is the
    parent's decision (it sets ``copier.stop``), so that it can tidy up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed outright (SIGKILL, the OOM killer) takes its workers with it: they
    # would otherwise wait for work forever, holding the terminal and the variant's lock.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != copier.parent_pid:  # it died before prctl took effect
        os._exit(1)


def _test_hook(recorded: int) -> None:
    spec = os.environ.get(TEST_SIGNAL_AFTER, "")
    if not spec:
        return
    after, _sep, name = spec.partition(":")
    if recorded == int(after):
        if name == "INT":
            raise KeyboardInterrupt  # what Python's SIGINT handler raises
        os.kill(os.getpid(), getattr(signal, f"SIG{name}"))


class _Recorder:
    """The parent's side of every outcome: journal it, then move its copy into place."""

    def __init__(self, copier: Copier, journal: Journal, progress: Progress):
        self.copier, self.journal, self.progress = copier, journal, progress
        self.results: dict[str, Outcome] = {}
        self.recorded = 0

    def __call__(self, outcome: Outcome) -> None:
        if outcome.storage_name:  # infected files are not recorded: they are scanned again
            try:
                self.journal.record(outcome)
            except OSError as exc:
                if outcome.temp is not None:
                    outcome.temp.unlink(missing_ok=True)
                raise IngestError(
                    _(
                        "Cannot record ingest progress in %(journal)s (%(why)s); nothing was "
                        "changed. Fix the cause and run the same command again."
                    )
                    % {"journal": self.journal.path, "why": exc.strerror or exc}
                ) from exc
            self.copier.place(outcome)
            self.recorded += 1
        self.results[outcome.rel] = outcome
        self.progress.files_done += 1
        _test_hook(self.recorded)


def run(
    tasks: list[Task],
    *,
    copier: Copier,
    journal: Journal,
    progress: Progress,
    on_progress: Callable[[Progress], None] | None,
    jobs: int,
) -> dict[str, Outcome]:
    """Read every task's file, ``jobs`` at a time; record each outcome in the journal as it
    arrives. The first failure (or Ctrl-C) stops the others where they are: what was
    recorded stays for the next run, what was not is removed."""
    record = _Recorder(copier, journal, progress)
    try:
        if copier.local and can_fork():
            _run_processes(tasks, copier, record, on_progress, jobs)
        else:
            _run_threads(tasks, copier, record, on_progress, jobs)
    finally:
        journal.close()
    progress.read_bytes = copier.read_bytes
    return record.results


class _Ticker:
    def __init__(self, progress: Progress, copier: Copier, on_progress):
        self.progress, self.copier, self.on_progress = progress, copier, on_progress
        self.last = 0.0

    def __call__(self) -> None:
        self.progress.read_bytes = self.copier.read_bytes
        if self.on_progress is not None and time.monotonic() - self.last >= 0.2:
            self.on_progress(self.progress)
            self.last = time.monotonic()


def _run_threads(tasks, copier: Copier, record: _Recorder, on_progress, jobs: int) -> None:
    pending = iter(tasks)
    inflight: dict[Future, Task] = {}
    tick = _Ticker(record.progress, copier, on_progress)
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ingest") as pool:
        try:
            while True:
                while len(inflight) < jobs * 4 and (task := next(pending, None)) is not None:
                    inflight[pool.submit(copier.process, task)] = task
                if not inflight:
                    break
                done, _not_done = wait(inflight, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()
                    del inflight[future]
                    record(outcome)
                tick()
        except BaseException:
            copier.stop.set()
            for future in inflight:
                future.cancel()
            for future in inflight:
                try:
                    unrecorded = future.result()
                except BaseException:  # noqa: S112 - stopping: its own error is not the news
                    continue
                if unrecorded.temp is not None:
                    unrecorded.temp.unlink(missing_ok=True)
            raise


def _worker_loop(copier: Copier, tasks: list[Task], next_task, results) -> None:
    """A forked worker: takes the next file by a shared counter (the task list came with
    the fork), so it never waits for the parent to hand out work."""
    _worker_start(copier)
    try:
        while not copier.stop.is_set():
            with next_task.get_lock():
                at = next_task.value
                if at >= len(tasks):
                    break
                next_task.value = at + 1
            try:
                results.put(("ok", copier.process(tasks[at])))
            except _Stopped:
                break
            except IngestError as exc:
                results.put(("error", exc))
                break
            except BaseException as exc:  # reported to the parent, which stops
                results.put(("error", IngestError(f"{tasks[at].rel}: {exc!r}")))
                break
    finally:
        results.put(("done", None))
        results.close()
        results.join_thread()


def _run_processes(tasks, copier: Copier, record: _Recorder, on_progress, jobs: int) -> None:
    mp = copier._mp
    next_task = mp.Value("q", 0)
    results = mp.Queue()
    workers = [
        mp.Process(target=_worker_loop, args=(copier, tasks, next_task, results), daemon=True)
        for _worker in range(min(jobs, len(tasks)))
    ]
    tick = _Ticker(record.progress, copier, on_progress)
    running = len(workers)

    def receive(timeout: float):
        nonlocal running
        try:
            kind, payload = results.get(timeout=timeout)
        except queue.Empty:
            if running and not any(w.is_alive() for w in workers):
                running = 0  # they died without a word (the OOM killer)
                raise IngestError(
                    _(
                        "The ingest workers stopped unexpectedly; nothing was changed. Run the "
                        "same command again."
                    )
                ) from None
            return None
        if kind == "done":
            running -= 1
            return None
        if kind == "error":
            raise payload
        return payload

    # A forked worker flushes the standard streams when it ends: empty them first, or what
    # the command had written so far would come out twice.
    sys.stdout.flush()
    sys.stderr.flush()
    for worker in workers:
        worker.start()
    try:
        while running:
            outcome = receive(0.2)
            if outcome is not None:
                record(outcome)
            tick()
    except BaseException:
        copier.stop.set()
        deadline = time.monotonic() + 60
        while running and time.monotonic() < deadline:
            try:
                unrecorded = receive(0.2)
            except BaseException:  # noqa: S112 - stopping: later errors are not the news
                continue
            if unrecorded is not None and unrecorded.temp is not None:
                unrecorded.temp.unlink(missing_ok=True)
        raise
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
        results.close()
