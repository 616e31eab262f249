"""``accord audit verify|head|export``: check the hash chain, publish its head, export it."""

from __future__ import annotations

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accord.audit.exports import csv_lines, json_chunks
from accord.audit.models import Event
from accord.audit.selectors import EventFilter, filter_events
from accord.audit.verify import Anchor, chain_head, verify_chain


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a date; use YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = "Verify the audit hash chain, print its head, or export events."

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

    def _verify(self, *, anchor=None, **_):
        try:
            start = Anchor.parse(anchor) if anchor else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        result = verify_chain(anchor=start)
        if not result.ok:
            raise CommandError(str(result))
        where = f" from published head #{start.seq}" if start else ""
        self.stdout.write(f"{result}{where}")

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
        if custodian is not None:
            qs = qs.filter(custodian_id=custodian)
        pieces = csv_lines(qs) if format == "csv" else json_chunks(qs)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                for piece in pieces:
                    fh.write(piece)
        else:
            for piece in pieces:
                sys.stdout.write(piece)
