"""Fixtures of the administration tests: a frozen clock and a booked appointment factory."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests import factories

# Monday 2 March 2026, 09:00 in Paris: every test day below lies in the same week or later.
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def book(db, make_patient):
    """Book an active appointment for a physician at a site, at a local date and time."""

    def do(physician, site, day: dt.date, time: dt.time, minutes: int = 30, room=None, status="booked"):
        return factories.appointment(site, make_patient(), day=day, time=time, minutes=minutes,
                                     room=room or site.rooms[0], physician=physician, status=status)

    return do
