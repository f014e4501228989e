"""Factories for outcome tests: appointments at a local date with their pain scores."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from clinic.outcomes.models import PainMoment, PainScore
from clinic.scheduling.models import AppointmentStatus
from clinic.timeutil import local_to_utc
from tests import factories

_minutes = itertools.count(0, 5)


@pytest.fixture
def make_outcome(db):
    """A completed (by default) appointment at local `day` and `time` with pain scores by moment."""

    def make(site, physician, patient, procedure="esi-interlaminar", day=dt.date(2026, 3, 10), scores=None,
             status=AppointmentStatus.COMPLETED, time=None, **kw):
        # Without an explicit time, cases are spread over the morning (08:00 to 12:55).
        offset = dt.timedelta(minutes=0 if time else next(_minutes) % 300)
        start = local_to_utc(day, time or dt.time(8), site.tz) + offset
        appt = factories.appointment(site, patient, start=start, turnover=10, room=site.rooms[0], physician=physician,
                                     procedure_code=procedure, status=status, side=kw.pop("side", None), **kw)
        for moment, score in (scores or {}).items():
            db.session.add(PainScore(appointment_id=appt.id, patient_id=patient.id, moment=PainMoment(moment),
                                     score=score, source="test"))
        db.session.commit()
        return appt

    return make
