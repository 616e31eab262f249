"""The ``accord`` console script: Django's management commands plus Accord's own
(``accord ingest``, ``accord demo``, ...). ``accord fetch`` talks to a remote portal and
needs no local database."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
