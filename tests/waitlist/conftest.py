"""Fixtures of the waiting-list tests: a frozen Monday morning, a physician of the Paris test site
with a booked appointment on Wednesday at 10:00 in the site's room, and an entry for it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests import factories

# Monday 2 March 2026, 09:00 in Paris.
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
WEDNESDAY = dt.date(2026, 3, 4)
PROCEDURE = "esi-transforaminal"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def doctor(db, paris):
    return factories.user("physician", sites=[paris])


@pytest.fixture
def taken(db, paris, doctor):
    """The physician's Wednesday 10:00, booked for another patient (in the site's only room)."""
    appointment = factories.appointment(paris, day=WEDNESDAY, time=dt.time(10), room=paris.rooms[0],
                                        physician=doctor, procedure_code=PROCEDURE)
    db.session.commit()
    return appointment


def ten(site) -> str:
    return dt.datetime.combine(WEDNESDAY, dt.time(10), site.tz).isoformat()
