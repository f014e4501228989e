"""Fixtures for booking tests: frozen clocks, physicians with hours, a quick way to book."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.scheduling import services
from clinic.scheduling.models import WorkingHours

UTC = dt.UTC


@pytest.fixture
def frozen():
    """Freeze the clock at a UTC instant: frozen(2026, 2, 20)."""
    travellers = []

    def do(*args):
        traveller = time_machine.travel(dt.datetime(*args, tzinfo=UTC), tick=False)
        traveller.start()
        travellers.append(traveller)

    yield do
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def physician(make_user):
    def make(*sites, hours=True):
        return make_user("physician", sites=list(sites), hours=hours)

    return make


@pytest.fixture
def add_hours(db):
    def add(physician, site, weekday, start, end, valid_from=dt.date(2020, 1, 1), valid_until=None):
        row = WorkingHours(physician_id=physician.id, site_id=site.id, weekday=weekday, start_time=start,
                           end_time=end, valid_from=valid_from, valid_until=valid_until)
        db.session.add(row)
        db.session.flush()
        return row

    return add


@pytest.fixture
def book(db, make_patient):
    """Book through the service: book(site, "2026-03-09T09:00:00+01:00", physician=..., **fields)."""

    def do(site, start, physician=None, user=None, patient=None, procedure="esi-interlaminar", **kw):
        inp = services.BookingInput(
            patient=patient or make_patient(), site=site, procedure_code=procedure,
            start_at=dt.datetime.fromisoformat(start).astimezone(UTC),
            physician_id=physician.id if physician else None, **kw,
        )
        return services.book(inp, user)

    return do
