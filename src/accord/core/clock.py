"""The one clock lifecycle code asks for the time, so tests move time instead of sleeping.

In production ``now()`` is ``timezone.now()``. Tests (the ``clock`` fixture) freeze it at an
instant and move it with ``travel``/``advance``; every other process keeps real time.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return _frozen if _frozen is not None else timezone.now()


def localdate() -> dt.date:
    """Today in the portal's time zone, by this clock."""
    return timezone.localdate(now())


def travel(*, to: dt.datetime) -> dt.datetime:
    """Stop the clock at ``to`` (aware). For tests and the demo only."""
    global _frozen
    if timezone.is_naive(to):
        raise ValueError("travel(to=...) needs an aware datetime")
    _frozen = to.astimezone(dt.UTC)
    return _frozen


def advance(**delta: float) -> dt.datetime:
    """Move the (frozen) clock forward by ``timedelta(**delta)``."""
    return travel(to=now() + dt.timedelta(**delta))


def reset() -> None:
    """Back to real time."""
    global _frozen
    _frozen = None
