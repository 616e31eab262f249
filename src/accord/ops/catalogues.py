"""Checks of the message catalogues (src/accord/locale), run by `make test` (tests/i18n):
every entry translated and none fuzzy, and no string in the code missing from a catalogue or
left in it after the code dropped it (makemessages would change the msgids)."""

from __future__ import annotations

import array
import ast
import contextlib
import re
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = PACKAGE_DIR / "locale"
# The catalogues besides English (the msgids are the English text).
CATALOGUE_LANGUAGES = ("zh_Hans", "fi")
MAKEMESSAGES_OPTIONS = {"ignore_patterns": ["client/*"], "no_location": True, "no_obsolete": True}


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    fuzzy: bool = False
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")


def read_po(path: Path, *, header: bool = False) -> list[Entry]:
    """The entries of a .po file (the header, msgid "", only if asked for)."""
    entries: list[Entry] = []
    entry, last = Entry(), None
    started = False

    def finish():
        nonlocal entry, last, started
        if started and (entry.msgid or entry.msgctxt is not None or header):
            entries.append(entry)
        entry, last, started = Entry(), None, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.fuzzy = entry.fuzzy or "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        text = ast.literal_eval(match.group(2)) if match else ast.literal_eval(line)
        if match:
            started, last = True, match.group(1)
            if last == "msgctxt":
                entry.msgctxt = text
            elif last == "msgid":
                entry.msgid = text
            elif last == "msgid_plural":
                entry.plural = text
            else:
                entry.msgstrs.append(text)
        elif last == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + text
        elif last == "msgid":
            entry.msgid += text
        elif last == "msgid_plural":
            entry.plural = (entry.plural or "") + text
        elif last and last.startswith("msgstr"):
            entry.msgstrs[-1] += text
    finish()
    return [e for e in entries if not e.obsolete]


def untranslated(path: Path) -> list[str]:
    """Each entry of the catalogue at ``path`` that is fuzzy or lacks a translation."""
    problems = []
    for entry in read_po(path):
        if entry.fuzzy:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.msgstrs or not all(entry.msgstrs):
            problems.append(f"untranslated: {entry.msgid!r}")
    return problems


def fresh_msgids(language: str = "fi") -> set[tuple[str | None, str]]:
    """The msgids makemessages finds in the code today, extracted into a temporary folder
    (the checked-in catalogues are left alone)."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    with tempfile.TemporaryDirectory() as tmp:
        # A copy of the sources: run inside the package, makemessages would write to its
        # locale folder whatever LOCALE_PATHS says.
        source = Path(tmp) / "accord"
        shutil.copytree(
            PACKAGE_DIR,
            source,
            ignore=lambda folder, names: [
                n
                for n in names
                if n in ("locale", "__pycache__", "static")
                or ("." in n and not n.endswith((".py", ".html", ".txt")))
            ],
        )
        locale = Path(tmp) / "locale"
        with override_settings(LOCALE_PATHS=[str(locale)]), contextlib.chdir(source):
            call_command("makemessages", locale=[language], verbosity=0, **MAKEMESSAGES_OPTIONS)
        return {e.key for e in read_po(locale / language / "LC_MESSAGES" / "django.po")}


def stale(path: Path, fresh: set[tuple[str | None, str]]) -> list[str]:
    """What makemessages would change in the catalogue at ``path``: strings the code has and
    the catalogue lacks, and strings the code no longer has."""
    have = {e.key for e in read_po(path)}
    return [f"missing: {m!r}" for _c, m in sorted(fresh - have, key=str)] + [
        f"no longer in the code: {m!r}" for _c, m in sorted(have - fresh, key=str)
    ]


def catalogue_path(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po"


def mo_bytes(path: Path) -> bytes:
    """The compiled (GNU .mo) form of the catalogue at ``path``: its header and every entry
    that is translated and not fuzzy, as ``msgfmt`` writes it. Used by ``make install`` when
    GNU gettext is not installed, so a fresh machine still gets every language."""
    messages: dict[bytes, bytes] = {}
    for entry in read_po(path, header=True):
        if entry.msgid and (entry.fuzzy or not entry.msgstrs or not all(entry.msgstrs)):
            continue  # as msgfmt: the English text stands in
        key = entry.msgid if entry.plural is None else f"{entry.msgid}\0{entry.plural}"
        if entry.msgctxt is not None:
            key = f"{entry.msgctxt}\x04{key}"
        messages[key.encode()] = "\0".join(entry.msgstrs).encode()
    keys = sorted(messages)
    ids = strs = b""
    places = []
    for key in keys:
        places.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\0"
        strs += messages[key] + b"\0"
    count = len(keys)
    first_id = 7 * 4 + 16 * count
    first_str = first_id + len(ids)
    key_table = [n for o, length, _s, _l in places for n in (length, o + first_id)]
    str_table = [n for _o, _length, o, length in places for n in (length, o + first_str)]
    head = struct.pack("Iiiiiii", 0x950412DE, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, 0)
    return (
        head
        + array.array("i", key_table).tobytes()
        + array.array("i", str_table).tobytes()
        + ids
        + strs
    )


if __name__ == "__main__":
    # python -m accord.ops.catalogues compile SOURCE.po TARGET.mo
    import sys

    if len(sys.argv) != 4 or sys.argv[1] != "compile":
        sys.exit("usage: python -m accord.ops.catalogues compile SOURCE.po TARGET.mo")
    Path(sys.argv[3]).write_bytes(mo_bytes(Path(sys.argv[2])))
