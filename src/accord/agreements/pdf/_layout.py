"""Where every byte of an uploaded PDF belongs. Run inside the sandboxed worker (standard
library only, like ``_worker.py``).

A PDF file is a header, then indirect objects, cross-reference sections, trailers,
``startxref`` and ``%%EOF`` markers, separated by whitespace and short comments; an
incremental update (how digital signatures are added) appends more of the same, ending in its
own ``%%EOF``. ``read_layout`` walks the file token by token in exactly those terms and
refuses any byte that is none of them: a web page or script before the header, a ZIP or
anything else appended after the last ``%%EOF`` or slipped between two updates, a long comment
line carrying a payload. What it accepts is handed back (the objects and their offsets, the
end of each revision) so the worker can check that qpdf reads every one of those objects:
together they make sure the stored file holds nothing the checks did not see.

Tolerated, because real scanners and PDF writers emit them: a UTF-8 byte-order mark or
whitespace before ``%PDF-``, whitespace and NUL padding after the last ``%%EOF``, a missing
``endobj``, a stream whose ``/Length`` is wrong or indirect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WS = rb"[\x00\t\n\x0c\r ]"
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_END = rb"(?!" + _REGULAR + rb")"

WHITESPACE = re.compile(_WS + rb"*")
COMMENT = re.compile(rb"%[^\r\n]*")
WORD = re.compile(_REGULAR + rb"+")
NAME = re.compile(rb"/" + _REGULAR + rb"*")
HEX_STRING = re.compile(rb"<[0-9A-Fa-f\x00\t\n\x0c\r ]*>")
NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
OBJECT = re.compile(rb"(\d+)" + _WS + rb"+(\d+)" + _WS + rb"+obj" + _END)
REFERENCE_TAIL = re.compile(_WS + rb"+(\d+)" + _WS + rb"+R" + _END)
XREF_SUBSECTION = re.compile(rb"(\d+)[ \t]+(\d+)" + _END)
XREF_ENTRY = re.compile(_WS + rb"*\d{1,10}[ ]{1,2}\d{1,5}[ ]{1,2}[nf]" + _END)
INTEGER = re.compile(_WS + rb"*(\d+)" + _END)
STRING_SPECIAL = re.compile(rb"[()\\]")
ENDSTREAM = re.compile(_WS + rb"*endstream" + _END)
# Objects whose whole body is an integer: where an indirect /Length is found.
INTEGER_OBJECT = re.compile(
    rb"(\d+)" + _WS + rb"+(\d+)" + _WS + rb"+obj" + _WS + rb"*(\d+)" + _WS + rb"*endobj"
)

KEYWORDS = {b"true", b"false", b"null", b"R"}
BOM = b"\xef\xbb\xbf"
HEADER = b"%PDF-"
EOF_MARKER = b"%%EOF"
# PDF writers' comments are a header, a line of binary bytes and %%EOF; nothing honest needs a
# long one, and a long one is where a payload would hide.
MAX_COMMENT = 256
MAX_DEPTH = 200  # nesting of arrays and dictionaries; qpdf's own limit is 500
MAX_REVISIONS = 32


class LayoutRefused(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class PdfObject:
    number: int
    generation: int
    offset: int  # from the header, as cross-reference tables count (a BOM shifts nothing)
    keys: dict[bytes, object] = field(default_factory=dict)  # its dictionary's simple values


@dataclass
class Layout:
    start: int  # offset of %PDF-
    revisions: list[int] = field(default_factory=list)  # offset just after each %%EOF
    objects: list[PdfObject] = field(default_factory=list)
    # Offsets that startxref and the trailers' /Prev and /XRefStm name: cross-reference
    # sections and streams, read by every PDF reader.
    xref_pointers: set[int] = field(default_factory=set)

    def xref_stream_offsets(self) -> set[int]:
        """The pointed-to offsets, following the /Prev chain through cross-reference streams
        (a linearized file's main section is reached only that way)."""
        by_offset = {obj.offset: obj for obj in self.objects}
        reached, todo = set(), list(self.xref_pointers)
        while todo:
            offset = todo.pop()
            if offset in reached:
                continue
            reached.add(offset)
            obj = by_offset.get(offset)
            if obj is not None and obj.keys.get(b"/Type") == b"/XRef":
                for key in (b"/Prev", b"/XRefStm"):
                    if isinstance(obj.keys.get(key), int):
                        todo.append(obj.keys[key])
        return reached


def header_offset(data: bytes) -> int:
    """Where %PDF- starts if only a byte-order mark and whitespace precede it, else -1."""
    start = len(BOM) if data.startswith(BOM) else 0
    start = WHITESPACE.match(data, start).end()
    return start if data.startswith(HEADER, start) else -1


def read_layout(data: bytes, *, max_objects: int) -> Layout:
    start = header_offset(data)
    if start < 0:
        raise LayoutRefused("prefix")
    return _Reader(data, start, max_objects).read()


class _Reader:
    def __init__(self, data: bytes, start: int, max_objects: int) -> None:
        self.data = data
        self.size = len(data)
        self.layout = Layout(start=start)
        self.max_objects = max_objects
        self.last_marker = data.rfind(EOF_MARKER)
        self._integers: dict[tuple[int, int], list[int]] | None = None

    # --- refusals ---------------------------------------------------------------------------

    def out_of_place(self, pos: int) -> LayoutRefused:
        """A byte that is no part of a PDF: after the last %%EOF it is appended data, before
        it something slipped in between the file's parts."""
        if self.last_marker < 0:
            return LayoutRefused("damaged")
        end = self.last_marker + len(EOF_MARKER)
        if pos >= end:
            return LayoutRefused(
                "trailing-data", size=len(self.data[end:].strip(b"\x00\t\n\x0c\r "))
            )
        return LayoutRefused("hidden-data", offset=pos)

    # --- the file ---------------------------------------------------------------------------

    def read(self) -> Layout:
        data, pos, last_was_marker = self.data, self.layout.start, False
        while True:
            pos = WHITESPACE.match(data, pos).end()
            if pos >= self.size:
                break
            last_was_marker = False
            if data.startswith(EOF_MARKER, pos):
                pos += len(EOF_MARKER)
                self.layout.revisions.append(pos)
                if len(self.layout.revisions) > MAX_REVISIONS:
                    raise LayoutRefused("too-complex")
                last_was_marker = True
                continue
            if data[pos] == 0x25:  # %
                pos = self.comment(pos)
                continue
            match = OBJECT.match(data, pos)
            if match:
                pos = self.indirect_object(match)
                continue
            word = WORD.match(data, pos)
            keyword = word.group() if word else b""
            if keyword == b"xref":
                pos = self.xref_section(word.end())
            elif keyword == b"trailer":
                pos, keys = self.value(word.end(), depth=0)
                for key in (b"/Prev", b"/XRefStm"):
                    if isinstance(keys, dict) and isinstance(keys.get(key), int):
                        self.layout.xref_pointers.add(keys[key])
            elif keyword == b"startxref":
                number = INTEGER.match(data, word.end())
                if not number:
                    raise self.out_of_place(word.end())
                self.layout.xref_pointers.add(int(number.group(1)))
                pos = number.end()
            else:
                raise self.out_of_place(pos)
        if not self.layout.revisions:
            raise LayoutRefused("damaged")  # cut off before its end-of-file marker
        if not last_was_marker:
            # A last update that never ends: data appended after the last %%EOF.
            end = self.layout.revisions[-1]
            size = len(data[end:].strip(b"\x00\t\n\x0c\r "))
            raise LayoutRefused("trailing-data", size=size)
        return self.layout

    def comment(self, pos: int) -> int:
        end = COMMENT.match(self.data, pos).end()
        if end - pos > MAX_COMMENT:
            raise self.out_of_place(pos)
        return end

    def skip(self, pos: int) -> int:
        """Whitespace and comments."""
        data = self.data
        while True:
            pos = WHITESPACE.match(data, pos).end()
            if pos < self.size and data[pos] == 0x25 and not data.startswith(EOF_MARKER, pos):
                pos = self.comment(pos)
                continue
            return pos

    def indirect_object(self, match: re.Match) -> int:
        if len(self.layout.objects) >= self.max_objects:
            raise LayoutRefused("too-complex")
        start = self.layout.start
        obj = PdfObject(int(match.group(1)), int(match.group(2)), match.start() - start)
        self.layout.objects.append(obj)
        pos = self.skip(match.end())
        word = WORD.match(self.data, pos)
        if word and word.group() == b"endobj":  # an empty object (null)
            return word.end()
        pos, value = self.value(pos, depth=0)
        if isinstance(value, dict):
            obj.keys = value
        pos = self.skip(pos)
        word = WORD.match(self.data, pos)
        if word and word.group() == b"stream":
            pos = self.skip(self.stream(word.end(), value))
            word = WORD.match(self.data, pos)
        if word and word.group() == b"endobj":
            return word.end()
        return pos  # a missing endobj: whatever follows must stand on its own

    def stream(self, pos: int, value: object) -> int:
        data = self.data
        # "stream" is followed by CR LF or LF (a lone CR from some writers).
        if data.startswith(b"\r\n", pos):
            pos += 2
        elif data.startswith((b"\n", b"\r"), pos):
            pos += 1
        length = value.get(b"/Length") if isinstance(value, dict) else None
        candidates = []
        if isinstance(length, int):
            candidates.append(length)
        elif isinstance(length, tuple):
            candidates.extend(self.integer_objects().get(length, []))
        for candidate in candidates:
            end = ENDSTREAM.match(data, pos + candidate) if pos + candidate <= self.size else None
            if end:
                return end.end()
        # A wrong or unresolvable /Length: readers search for endstream, and so do we.
        found = data.find(b"endstream", pos)
        if found < 0:
            raise LayoutRefused("damaged")
        return found + len(b"endstream")

    def integer_objects(self) -> dict[tuple[int, int], list[int]]:
        if self._integers is None:
            self._integers = {}
            for match in INTEGER_OBJECT.finditer(self.data):
                key = (int(match.group(1)), int(match.group(2)))
                self._integers.setdefault(key, []).append(int(match.group(3)))
        return self._integers

    def xref_section(self, pos: int) -> int:
        """Subsection headers and 20-byte entries, digits and spaces only: nothing can hide
        there, so a wrong count (which qpdf repairs) is not held against the file."""
        data = self.data
        while True:
            pos = WHITESPACE.match(data, pos).end()
            if OBJECT.match(data, pos):
                return pos
            line = XREF_ENTRY.match(data, pos) or XREF_SUBSECTION.match(data, pos)
            if not line:
                return pos
            pos = line.end()

    # --- values -----------------------------------------------------------------------------

    def value(self, pos: int, *, depth: int):
        """Read one PDF value at ``pos`` (after whitespace); return the position after it and
        a summary: a dict of a dictionary's integer, name and reference values, an int, a
        name (bytes), a reference (number, generation), or None for anything else."""
        if depth > MAX_DEPTH:
            raise LayoutRefused("too-complex")
        data = self.data
        pos = self.skip(pos)
        if pos >= self.size:
            raise LayoutRefused("damaged")
        byte = data[pos]
        if data.startswith(b"<<", pos):
            return self.dictionary(pos + 2, depth)
        if byte == 0x5B:  # [
            pos += 1
            while True:
                pos = self.skip(pos)
                if pos < self.size and data[pos] == 0x5D:  # ]
                    return pos + 1, None
                pos, _ = self.value(pos, depth=depth + 1)
        if byte == 0x28:  # (
            return self.literal_string(pos), None
        if byte == 0x3C:  # <
            match = HEX_STRING.match(data, pos)
            if not match:
                raise self.out_of_place(pos)
            return match.end(), None
        if byte == 0x2F:  # /
            match = NAME.match(data, pos)
            return match.end(), match.group()
        word = WORD.match(data, pos)
        if not word:
            raise self.out_of_place(pos)
        token = word.group()
        if NUMBER.fullmatch(token):
            if token.isdigit():
                reference = REFERENCE_TAIL.match(data, word.end())
                if reference:
                    return reference.end(), (int(token), int(reference.group(1)))
                return word.end(), int(token)
            return word.end(), None
        if token in KEYWORDS:
            return word.end(), None
        raise self.out_of_place(pos)

    def dictionary(self, pos: int, depth: int):
        data, keys = self.data, {}
        while True:
            pos = self.skip(pos)
            if data.startswith(b">>", pos):
                return pos + 2, keys
            if pos >= self.size or data[pos] != 0x2F:  # keys are names
                raise self.out_of_place(pos) if pos < self.size else LayoutRefused("damaged")
            key = NAME.match(data, pos)
            pos, value = self.value(key.end(), depth=depth + 1)
            if isinstance(value, int | bytes | tuple):
                keys[key.group()] = value

    def literal_string(self, pos: int) -> int:
        data, nesting = self.data, 0
        while True:
            special = STRING_SPECIAL.search(data, pos)
            if not special:
                raise LayoutRefused("damaged")
            pos = special.end()
            char = special.group()
            if char == b"\\":
                pos += 1  # the escaped byte, whatever it is
            elif char == b"(":
                nesting += 1
            else:
                nesting -= 1
                if nesting == 0:
                    return pos
