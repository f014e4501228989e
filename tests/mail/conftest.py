"""A real SMTP server (aiosmtpd) in the test process, and appointment rows made directly."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller

from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment
from tests.reminders.smtp import sending_to


def free_port() -> int:
    """A port nobody listens on: bind to port 0, read the port the system chose, close."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(app):
    """A running SMTP server; the app sends to it for the duration of the test."""
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with sending_to(app, controller.port):
            yield handler
    finally:
        controller.stop()


@pytest.fixture
def make_booking(db, make_user):
    """An appointment at the site for the patient at a local time, and its outbox row of `kind`."""

    def make(patient, site, local_start, kind="confirmation", procedure="esi-interlaminar", minutes=30, **kw):
        physician = make_user("physician", sites=[site])
        start_at = local_start.replace(tzinfo=site.tz).astimezone(dt.UTC)
        end_at = start_at + dt.timedelta(minutes=minutes)
        appointment = Appointment(patient_id=patient.id, site_id=site.id, room_id=site.rooms[0].id,
                                  physician_id=physician.id, procedure_code=procedure, start_at=start_at, end_at=end_at,
                                  block_end_at=end_at + dt.timedelta(minutes=10), region="lumbar", **kw)
        db.session.add(appointment)
        db.session.flush()
        reminder = Reminder(appointment_id=appointment.id, patient_id=patient.id, site_id=site.id, kind=kind,
                            language=patient.language, send_at=start_at, next_attempt_at=start_at)
        db.session.add(reminder)
        db.session.flush()
        return appointment, reminder

    return make
