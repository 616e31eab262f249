"""Malware scanning with ClamAV's daemon (clamd), over its socket: every dataset file at ingest
and every signed agreement before it is stored (``agreements.signed_pdf.scan_upload``).

Speaks clamd's INSTREAM protocol directly (a few lines; no client package needed): the file
is streamed in chunks, so any size is scanned in constant memory, and clamd need not be able
to read our files. ``ACCORD_CLAMD_ADDRESS`` is a unix socket path or ``tcp://host:port``;
unset, nothing is scanned and files are recorded as "skipped" (the catalogue says so).
"""

from __future__ import annotations

import contextlib
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from accord.catalog.models import DataFile

CHUNK = 256 * 1024


class ScannerUnavailable(Exception):
    """clamd is configured but could not scan: refuse rather than pretend the file is clean."""


@dataclass(frozen=True)
class Verdict:
    status: str  # a DataFile.ScanStatus value
    detail: str = ""

    @property
    def infected(self) -> bool:
        return self.status == DataFile.ScanStatus.INFECTED

    @property
    def clean(self) -> bool:
        return self.status == DataFile.ScanStatus.CLEAN

    @property
    def failed(self) -> bool:
        """The scanner answered but could not give a verdict (too large, a read error)."""
        return self.status == DataFile.ScanStatus.ERROR


SKIPPED = Verdict(
    DataFile.ScanStatus.SKIPPED, "not scanned: no virus scanner configured (ACCORD_CLAMD_ADDRESS)"
)


def scanner_address() -> str:
    return settings.CLAMD_ADDRESS


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("tcp://"):
        host, _, port = address[len("tcp://") :].rpartition(":")
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
    return sock


def _reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping(address: str | None = None, timeout: float = 5) -> bool:
    try:
        with _connect(address or scanner_address(), timeout) as sock:
            sock.sendall(b"zPING\0")
            return _reply(sock) == "PONG"
    except OSError:
        return False


def _unavailable(address: str, exc: OSError) -> ScannerUnavailable:
    return ScannerUnavailable(
        f"The virus scanner at {address} did not answer ({exc}). Start clamd "
        "(systemctl start clamav-daemon) or unset ACCORD_CLAMD_ADDRESS to ingest unscanned."
    )


def _verdict(reply: str) -> Verdict:
    # Replies: "stream: OK", "stream: <signature> FOUND", "<message> ERROR".
    if reply.endswith("FOUND"):
        signature = reply.removeprefix("stream:").removesuffix("FOUND").strip()
        return Verdict(DataFile.ScanStatus.INFECTED, f"ClamAV: {signature}"[:200])
    if reply.endswith("OK"):
        return Verdict(DataFile.ScanStatus.CLEAN, "ClamAV: no threat found")
    if "size limit" in reply.lower():
        # Larger than clamd's StreamMaxLength: recorded, not silently passed as clean.
        return Verdict(
            DataFile.ScanStatus.ERROR,
            "too large for the scanner (raise StreamMaxLength in clamd.conf to scan it)",
        )
    return Verdict(DataFile.ScanStatus.ERROR, f"ClamAV: {reply}"[:200])


class InstreamScan:
    """One INSTREAM scan fed chunk by chunk, so ingest can hash, copy and scan a file in a
    single read. One connection per file: clamd scans several at once (its MaxThreads), so
    ingest's concurrent workers each hold their own."""

    def __init__(self, address: str | None = None):
        self.address = address if address is not None else scanner_address()
        self._refused = False  # clamd stopped reading (a limit); its reply says which
        try:
            self._sock = _connect(self.address, settings.CLAMD_TIMEOUT)
            self._sock.sendall(b"zINSTREAM\0")
        except OSError as exc:
            raise _unavailable(self.address, exc) from exc

    def send(self, data: bytes | memoryview) -> None:
        if self._refused:
            return
        view = memoryview(data)
        try:
            for at in range(0, len(view), CHUNK):
                part = view[at : at + CHUNK]
                self._sock.sendall(struct.pack("!L", len(part)))
                self._sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            self._refused = True
        except OSError as exc:
            self.close()
            raise _unavailable(self.address, exc) from exc

    def verdict(self) -> Verdict:
        try:
            if not self._refused:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._sock.sendall(struct.pack("!L", 0))
            reply = _reply(self._sock)
            if not reply:
                raise OSError("no reply")
        except OSError as exc:
            raise _unavailable(self.address, exc) from exc
        finally:
            self.close()
        return _verdict(reply)

    def close(self) -> None:
        self._sock.close()


def scan_stream(stream: BinaryIO, *, address: str | None = None) -> Verdict:
    address = address if address is not None else scanner_address()
    if not address:
        return SKIPPED
    scan = InstreamScan(address)
    try:
        while chunk := stream.read(CHUNK):
            scan.send(chunk)
    except BaseException:
        scan.close()
        raise
    return scan.verdict()


def scan_file(path: Path) -> Verdict:
    if not scanner_address():
        return SKIPPED
    with Path(path).open("rb") as fh:
        return scan_stream(fh)
