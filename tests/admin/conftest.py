"""Fixtures of the administration tests: a frozen clock and a booked appointment factory."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.timeutil import local_to_utc

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
        start = local_to_utc(day, time, site.tz)
        end = start + dt.timedelta(minutes=minutes)
        appointment = Appointment(
            patient=make_patient(), site=site, room=room or site.rooms[0], physician=physician,
            procedure_code="esi-transforaminal", start_at=start, end_at=end,
            block_end_at=end + dt.timedelta(minutes=site.turnover_minutes), region="lumbar", side="left",
            status=AppointmentStatus(status),
        )
        db.session.add(appointment)
        db.session.flush()
        return appointment

    return do
