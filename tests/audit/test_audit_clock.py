"""Audit events are dated by the portal's clock: an action a test performs after moving time is
recorded at the moved time (to the millisecond), and the chain still verifies."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.audit.services import audit_record
from accord.audit.verify import verify_chain

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2031, 5, 4, 10, 30, 15, 123456, tzinfo=dt.UTC)


def test_event_times_follow_the_travelled_clock(clock):
    clock.travel(to=LATER)

    event = audit_record(event_type="test:clock:event", details={"n": 1})

    assert event.created == LATER.replace(microsecond=123000)
    assert verify_chain().ok
