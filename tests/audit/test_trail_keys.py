"""The trail's pages merge the chained events and the download journal in one time order
(ties: events first, then by seq or row id) without sorting their union in the database:
every slice is the matching slice of that order, whatever the ties and the page size."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.audit.models import Event, JournalEntry
from accord.audit.selectors import CHAIN, JOURNAL, trail_keys
from accord.audit.services import audit_record
from accord.core import clock as portal_clock
from tests import factories

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _trail(rows: list[tuple[int, int]]):
    """A custodian of its own with an event or a journal row at each (minute, source)."""
    custodian = factories.CustodianFactory()
    for minute, source in rows:
        at = BASE + dt.timedelta(minutes=minute)
        if source == CHAIN:
            portal_clock.travel(to=at)
            audit_record(event_type="catalog:dataset:update", custodian_id=custodian.pk)
        else:
            JournalEntry.objects.create(
                created=at,
                event_type="downloads:file:serve",
                custodian_id=custodian.pk,
                payload="{}",
            )
    events = Event.objects.filter(custodian_id=custodian.pk)
    journal = JournalEntry.objects.filter(custodian_id=custodian.pk)
    expected = sorted(
        [(e.created, CHAIN, e.seq) for e in events] + [(j.created, JOURNAL, j.pk) for j in journal]
    )
    return events, journal, expected


# Each example has a custodian of its own, so the clock fixture may be shared between them.
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.integers(min_value=0, max_value=3), st.sampled_from([CHAIN, JOURNAL])),
        max_size=14,
    ),
    size=st.integers(min_value=1, max_value=6),
    newest_first=st.booleans(),
)
def test_pages_of_the_trail_are_slices_of_one_time_order(clock, rows, size, newest_first):
    events, journal, expected = _trail(rows)
    if newest_first:
        expected.reverse()
    keys = trail_keys(events, journal, newest_first=newest_first)

    pages = []
    for start in itertools.count(0, size):
        page = keys[start : start + size]
        if not page:
            break
        pages.append(page)
    assert [key for page in pages for key in page] == expected
    assert all(len(page) == size for page in pages[:-1])
    assert keys.count() == len(expected)
