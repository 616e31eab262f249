"""``accord audit verify|head|export|checkpoint|checkpoints export``: check the hash chain
against its signed checkpoints, publish its head, export events, sign and export checkpoints."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.audit.checkpoints import checkpoint_write, export_chunks, export_to, load_file
from accord.audit.exports import csv_lines, json_chunks
from accord.audit.models import Event, JournalEntry
from accord.audit.selectors import EventFilter, filter_events, filter_journal
from accord.audit.verify import Anchor, chain_head, verify_chain


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a date; use YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = "Verify the audit chain, print its head, export events, sign or export checkpoints."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Walk the chain; report the first broken link.")
        verify.add_argument(
            "--from",
            dest="anchor",
            metavar="SEQ:HASH",
            help="Start from a published head (printed earlier by `accord audit head`): "
            "that event must still have that hash, and the walk continues from it.",
        )
        verify.add_argument(
            "--checkpoints",
            nargs="+",
            action="extend",
            default=[],
            metavar="FILE",
            help="checkpoint exports kept elsewhere (`accord audit checkpoints export`): every "
            "checkpoint in them must verify, be in the database, and match the chain.",
        )
        sub.add_parser(
            "checkpoint",
            help="Verify the events since the last checkpoint and sign one over the head now.",
        )
        checkpoints = sub.add_parser("checkpoints", help="Export the signed checkpoints.")
        checkpoints_sub = checkpoints.add_subparsers(dest="checkpoints_action", required=True)
        checkpoints_export = checkpoints_sub.add_parser(
            "export", help="Write every signed checkpoint to FILE, to keep off this server."
        )
        checkpoints_export.add_argument(
            "file", help="file to create, e.g. checkpoints.json, or - for standard output"
        )
        sub.add_parser("head", help="Print the head (SEQ:HASH) and the number of events.")
        export = sub.add_parser("export", help="Write events as CSV or JSON.")
        export.add_argument("--format", choices=("csv", "json"), default="csv")
        export.add_argument("--custodian", type=int, help="custodian id")
        export.add_argument("--dataset", type=int, help="dataset id")
        export.add_argument("--licence", type=int, help="licence id")
        export.add_argument("--user", default="", help="actor email")
        export.add_argument("--type", default="", help="event type, or a prefix ending in ':'")
        export.add_argument("--since", help="YYYY-MM-DD")
        export.add_argument("--until", help="YYYY-MM-DD (inclusive)")
        export.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _verify(self, *, anchor=None, checkpoints=(), **_):
        try:
            start = Anchor.parse(anchor) if anchor else None
            given = [cp for name in checkpoints for cp in load_file(Path(name))]
            result = verify_chain(anchor=start, checkpoints=given)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            raise CommandError(str(result))
        where = f" from published head #{start.seq}" if start else ""
        self.stdout.write(f"{result}{where}")

    def _checkpoint(self, **_):
        result = checkpoint_write()
        if result.checkpoint is None and result.message.startswith("Not signed"):
            raise CommandError(result.message)
        self.stdout.write(str(result))

    def _checkpoints(self, *, file, **_):
        if file == "-":  # e.g. fetched over ssh by a machine that keeps the copies
            for piece in export_chunks():
                self.stdout.write(piece, ending="")
            return
        path = Path(file)
        if path.exists():
            raise CommandError(f"{path} exists already; choose a new file name.")
        try:
            count = export_to(path)
        except OSError as exc:
            raise CommandError(f"{path} cannot be written: {exc}") from exc
        self.stdout.write(
            f"{count} signed checkpoints written to {path}. Keep it off this server; "
            f"`accord audit verify --checkpoints {path}` checks the chain against it."
        )

    def _head(self, **_):
        head = chain_head()
        self.stdout.write(f"{head.seq}:{head.hash}")
        self.stdout.write(f"events: {head.count}")

    def _export(self, *, format, output=None, custodian=None, **o):
        f = EventFilter(
            dataset_id=o["dataset"],
            licence_id=o["licence"],
            user=o["user"],
            event_type=o["type"],
            since=_date(o["since"]) if o["since"] else None,
            until=_date(o["until"]) if o["until"] else None,
        )
        qs = filter_events(Event.objects.all(), f)
        journal = filter_journal(JournalEntry.objects.all(), f)  # the download events
        if custodian is not None:
            qs = qs.filter(custodian_id=custodian)
            journal = journal.filter(custodian_id=custodian)
        pieces = csv_lines(qs, journal) if format == "csv" else json_chunks(qs, journal)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                for piece in pieces:
                    fh.write(piece)
        else:
            for piece in pieces:
                sys.stdout.write(piece)
