"""``accord seed_scale [--factor F]``: fill an empty database with scale-run data (100k users,
20k licences, 200k entitlements, 100k files, 1M audit events at factor 1) in minutes."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from accord.demo.scale import AlreadySeeded, seed_scale


class Command(BaseCommand):
    help = (
        "Fill an empty database with synthetic data for scale runs, by bulk inserts: at "
        "--factor 1, 100k users, 20k licences of one dataset, 200k entitlements, 100k files "
        "and 1M audit events (a valid chain). Never on production data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--factor", type=float, default=1.0, help="Scale every size (0.01: 1k users, ...)."
        )
        parser.add_argument(
            "--events", type=int, help="Audit events to append instead of the factor's share."
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args, factor: float, events=None, json: bool = False, **options):
        if not 0 < factor <= 10:
            raise CommandError("--factor must be above 0 and at most 10.")
        say = (lambda _: None) if json else self.stdout.write
        try:
            result = seed_scale(factor=factor, events=events, say=say)
        except AlreadySeeded as exc:
            raise CommandError(str(exc)) from exc
        if json:
            self.stdout.write(_dumps(result))
        else:
            self.stdout.write(
                f"Seeded {result['users']} users, {result['licences']} licences, "
                f"{result['entitlements']} entitlements, {result['files']} files and "
                f"{result['events']} audit events in {result['seconds']['total']} s. "
                f"Staff: {result['staff_email']}."
            )


def _dumps(value) -> str:
    return json.dumps(value, indent=2)
