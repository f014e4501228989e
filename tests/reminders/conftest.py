"""Appointments made with the models (the signals are sent by the tests), and a real SMTP server."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from clinic.scheduling.models import Appointment
from clinic.sites.models import Room
from clinic.timeutil import local_to_utc
from tests.reminders.smtp import SMTPServer, sending_to

_rooms = itertools.count(100)


@pytest.fixture
def make_appointment(db, make_user, make_patient, paris):
    """An appointment row at a site's local date and time (30 minutes), without any signal."""

    def make(site=None, day=dt.date(2026, 6, 10), time=dt.time(10, 0), patient=None, minutes=30, **kw):
        site = site or paris
        # Each appointment gets its own room and physician: no overlap constraint is ever in play.
        room = Room(site_id=site.id, name=f"Room {next(_rooms)}", modalities=["fluoroscopy"])
        db.session.add(room)
        physician = make_user("physician", sites=[site], hours=False)
        patient = patient or make_patient(language=site.language, site=site)
        start = local_to_utc(day, time, site.tz)
        end = start + dt.timedelta(minutes=minutes)
        appointment = Appointment(
            patient=patient, site=site, room=room, physician=physician,
            procedure_code=kw.pop("procedure_code", "esi-transforaminal"), start_at=start, end_at=end,
            block_end_at=end + dt.timedelta(minutes=10), region=kw.pop("region", "lumbar"),
            side=kw.pop("side", "left"), **kw)
        db.session.add(appointment)
        db.session.flush()
        return appointment

    return make


@pytest.fixture
def smtp(app):
    """A running aiosmtpd server; the app sends to it for the duration of the test."""
    server = SMTPServer().start()
    try:
        with sending_to(app, server.port):
            yield server
    finally:
        server.stop()


@pytest.fixture
def notice_composers():
    """Stand-in composers for confirmation and cancellation when the booking side's are absent."""
    from email.message import EmailMessage

    from clinic.mail.composers import COMPOSERS
    from clinic.reminders.composers import subject_for

    def stub(reminder):
        msg = EmailMessage()
        msg["To"] = reminder.patient.email
        msg["Subject"] = subject_for(reminder) if reminder.kind in COMPOSERS else f"{reminder.kind}"
        msg.set_content(reminder.kind)
        return msg

    added = [k for k in ("confirmation", "cancellation") if k not in COMPOSERS]
    for kind in added:
        COMPOSERS[kind] = stub
    yield
    for kind in added:
        COMPOSERS.pop(kind, None)
