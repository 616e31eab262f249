"""HTTP Range (RFC 9110 §14) for one file: parsing, If-Range, and a constant-memory reader.

Only single ranges are honoured; a multi-range request gets the whole file (a server may
ignore Range), which every client we serve handles and keeps responses simple.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_SIZE = 256 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    """The range lies wholly outside the file: answer 416."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The byte range asked for, None for "send the whole file" (no header, a syntax we do
    not serve, several ranges), or Unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None  # malformed or multi-range: ignore Range, as RFC 9110 allows
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix range: the last N bytes
        length = _number(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - length), size - 1)
    start = _number(first)
    if last != "" and _number(last) < start:
        return None  # invalid: ignore
    if start >= size:
        raise Unsatisfiable
    end = _number(last) if last != "" else size - 1
    return ByteRange(start, min(end, size - 1))


def _number(digits: str) -> int:
    """A byte position. Past 19 digits it exceeds any file (and int() of thousands of digits
    raises ValueError: a 500), so it stands for "beyond the end"."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 19 else _BEYOND


_BEYOND = 10**19


# The one form of Range that nginx and S3 read exactly as we do: no spaces, one range.
_STRICT_RANGE = re.compile(r"bytes=(?:\d{1,18}-\d{0,18}|-\d{1,18})")


def response_bytes_at_most(
    range_header: str | None, if_range: str | None, size: int, limit: int
) -> bool:
    """True when a server honouring ``range_header`` (nginx, S3) cannot send more than
    ``limit`` bytes of a ``size``-byte file. Anything it might read differently from us (a
    multi-range, spaces, an If-Range it may judge against another validator and answer
    with the whole file) counts as "may send the whole file"."""
    if size <= limit:
        return True
    if if_range or not range_header or not _STRICT_RANGE.fullmatch(range_header):
        return False
    try:
        byte_range = parse_range(range_header, size)
    except Unsatisfiable:
        return True  # a 416: no bytes at all
    return byte_range is not None and byte_range.length <= limit


def if_range_allows(if_range: str | None, etag: str, last_modified: str | None) -> bool:
    """True when a Range may be honoured: no If-Range, or it names the current
    representation (a strong ETag, or the exact Last-Modified date)."""
    if not if_range:
        return True
    value = if_range.strip()
    if value.startswith(("W/", '"')):
        return value == etag  # weak validators never match (RFC 9110 §13.1.5)
    return last_modified is not None and value == last_modified


class FileRangeIterator:
    """Yields ``length`` bytes of ``fh`` from ``start`` in fixed chunks: constant memory
    whatever the file size. ``still_allowed`` is re-asked every ``recheck_seconds`` or
    ``recheck_bytes``, whichever comes first: a revocation stops the body within that many
    bytes (plus one chunk) even on a fast link.
    ``on_close`` gets the number of bytes sent when the response ends, completed or cut off
    by the client (the WSGI server calls close() either way; a class, not a generator, so
    that close() runs even if no chunk was ever asked for)."""

    def __init__(
        self,
        fh: BinaryIO,
        *,
        start: int,
        length: int,
        chunk_size: int = CHUNK_SIZE,
        on_close: Callable[[int], None] | None = None,
        still_allowed: Callable[[], bool] | None = None,
        recheck_seconds: float = 15.0,
        recheck_bytes: int | None = None,
    ):
        self._fh = fh
        self._still_allowed = still_allowed
        self._recheck_seconds = recheck_seconds
        self._recheck_bytes = recheck_bytes
        self._checked_at = time.monotonic()
        self._unchecked = 0  # bytes sent since the policy last said yes
        self.stopped = False  # True when still_allowed said no mid-stream
        self._remaining = length
        self._chunk_size = chunk_size
        self._on_close = on_close
        self._closed = False
        self.sent = 0
        fh.seek(start)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._closed or self._remaining <= 0 or self.stopped:
            raise StopIteration
        if self._still_allowed is not None and (
            time.monotonic() - self._checked_at >= self._recheck_seconds
            or (self._recheck_bytes is not None and self._unchecked >= self._recheck_bytes)
        ):
            # A long transfer must not outlive a revocation: ask again now and then, and
            # end the body short (the client sees a truncated response) when access ended.
            self._checked_at = time.monotonic()
            self._unchecked = 0
            if not self._still_allowed():
                self.stopped = True
                raise StopIteration
        chunk = read_chunk(self._fh, min(self._chunk_size, self._remaining))
        if not chunk:
            raise StopIteration  # the file shrank under us; the client sees a short body
        self._remaining -= len(chunk)
        self._unchecked += len(chunk)
        self.sent += len(chunk)
        return chunk

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._fh.close()
        if self._on_close is not None:
            self._on_close(self.sent)


def read_chunk(fh: BinaryIO, size: int) -> bytes:
    """One read; a seam tests use to slow the stream down (to interrupt it mid-file)."""
    return fh.read(size)
