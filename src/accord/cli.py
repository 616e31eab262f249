"""The ``accord`` console script: Django's management commands plus Accord's own
(``accord ingest``, ``accord demo``, ...). ``accord fetch`` talks to a remote portal and
needs no local database."""

from __future__ import annotations

import os
import sys

CLIENT_COMMANDS = ("fetch", "manifest")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] in CLIENT_COMMANDS:
        # The researcher's client runs before (and without) Django: importing settings would
        # create var/secret_key in the current folder and want a database.
        from accord.client.cli import main as client_main

        sys.exit(client_main(argv[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
