"""A real SMTP server, a stand-in SMS gateway, and rows committed for real for the multi-process
tests (appointments are made with make_appointment: the signals are sent by the tests)."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
import sqlalchemy as sa

from clinic.accounts.models import Role, User
from clinic.extensions import db as _db
from clinic.patients.models import Patient
from clinic.reminders.models import Reminder
from clinic.sites.models import Organisation, Room, Site
from tests import factories
from tests.cleanup import purge
from tests.reminders import gateway as sms_gateway
from tests.smtp import SMTPServer, sending_to


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
def gateway(app):
    """A running stand-in SMS gateway (tests/reminders/gateway.py); the app's texts go to it."""
    server = sms_gateway.Gateway().start()
    try:
        with sms_gateway.sending_to(app, server):
            yield server
    finally:
        server.stop()


@pytest.fixture
def committed_rows(app):
    """Make a site, patient and appointment (in a month), and N due 'day before' rows of the channel
    (an SMS patient has a phone and said yes to texts; the site has no quiet hours, so that texts go
    whatever the suite's clock): committed."""
    made: dict = {}

    def make(count: int, channel: str = "email") -> list[int]:
        with app.app_context():
            tag = f"conc-{os.getpid()}-{time.monotonic_ns()}"
            org = Organisation(code=tag, name="Concurrency organisation", country="FR")
            site = Site(organisation=org, code=tag, name="Concurrency Site", timezone="Europe/Paris", country="FR", language="fr",
                        address="1 rue Test", phone="+33 1", quiet_start=dt.time(0), quiet_end=dt.time(0))
            site.rooms = [Room(name="R", modalities=["fluoroscopy"])]
            user = User(email=f"{tag}@test.example", name="Dr Conc", role=Role.PHYSICIAN)
            user.set_password("x-123456789")
            patient = Patient(organisation=org, first_name="Con", last_name="Current", birth_date=dt.date(1970, 1, 1),
                              email=f"{tag}@patient.example", language="fr", phone="+33612345678",
                              sms_opt_in=channel == "sms")
            _db.session.add_all([site, user, patient])
            _db.session.flush()
            start = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
            appointment = factories.appointment(site, patient, start=start, room=site.rooms[0], physician=user,
                                                procedure_code="facet-joint", turnover=10, region=None, side=None)
            due = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
            _db.session.execute(sa.insert(Reminder), [
                dict(organisation_id=org.id, appointment_id=appointment.id, patient_id=patient.id, site_id=site.id,
                     kind="day_before",
                     channel=channel, essential=True, language="fr", send_at=due, next_attempt_at=due,
                     status="planned", attempts=0, payload={"phase": "before", "anchor": "start"})
                for _ in range(count)])
            _db.session.commit()
            made.update(site=site.id, user=user.id, patient=patient.id, appointment=appointment.id)
            return list(_db.session.execute(sa.select(Reminder.id).where(
                Reminder.appointment_id == appointment.id).order_by(Reminder.id)).scalars())

    yield make
    if made:
        with app.app_context():
            purge(site_ids=[made["site"]], user_ids=[made["user"]], patient_ids=[made["patient"]])
