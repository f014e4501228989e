"""Dispatcher processes against a real SMTP server, with real commits: no row sent twice by two
dispatchers, none lost when one is killed mid-batch. The rows are created and removed by the test."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest

from tests.cleanup import purge
import sqlalchemy as sa

from clinic.accounts.models import Role, User
from clinic.extensions import db as _db
from clinic.patients.models import Patient
from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment
from clinic.sites.models import Organisation, Room, Site
from tests.processes import dispatcher
from tests.reminders.smtp import SMTPServer


@pytest.fixture
def committed_rows(app):
    """Make a site, patient and appointment (in a month), and N due 'day before' rows: committed."""
    made: dict = {}

    def make(count: int) -> list[int]:
        with app.app_context():
            tag = f"conc-{os.getpid()}-{time.monotonic_ns()}"
            org = Organisation(code=tag, name="Concurrency organisation", country="FR")
            site = Site(organisation=org, code=tag, name="Concurrency Site", timezone="Europe/Paris", country="FR", language="fr",
                        address="1 rue Test", phone="+33 1")
            site.rooms = [Room(name="R", modalities=["fluoroscopy"])]
            user = User(email=f"{tag}@test.example", name="Dr Conc", role=Role.PHYSICIAN)
            user.set_password("x-123456789")
            patient = Patient(organisation=org, first_name="Con", last_name="Current", birth_date=dt.date(1970, 1, 1),
                              email=f"{tag}@patient.example", language="fr")
            _db.session.add_all([site, user, patient])
            _db.session.flush()
            start = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
            appointment = Appointment(
                patient_id=patient.id, site_id=site.id, room_id=site.rooms[0].id, physician_id=user.id,
                procedure_code="facet-joint", start_at=start, end_at=start + dt.timedelta(minutes=30),
                block_end_at=start + dt.timedelta(minutes=40))
            _db.session.add(appointment)
            _db.session.flush()
            due = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
            _db.session.execute(sa.insert(Reminder), [
                dict(organisation_id=org.id, appointment_id=appointment.id, patient_id=patient.id, site_id=site.id, kind="day_before",
                     essential=True, language="fr", send_at=due, next_attempt_at=due, status="planned",
                     attempts=0, payload={"phase": "before", "anchor": "start"}) for _ in range(count)])
            _db.session.commit()
            made.update(site=site.id, user=user.id, patient=patient.id, appointment=appointment.id)
            return list(_db.session.execute(sa.select(Reminder.id).where(
                Reminder.appointment_id == appointment.id).order_by(Reminder.id)).scalars())

    yield make
    if made:
        with app.app_context():
            purge(site_ids=[made["site"]], user_ids=[made["user"]], patient_ids=[made["patient"]])


def statuses(app, ids: list[int]) -> dict[str, int]:
    with app.app_context():
        rows = _db.session.execute(sa.select(Reminder.status, sa.func.count()).where(Reminder.id.in_(ids))
                                   .group_by(Reminder.status)).all()
        _db.session.commit()
        return {str(s.value): n for s, n in rows}


def test_two_dispatcher_processes_send_each_of_1000_rows_exactly_once(app, database_url, committed_rows,
                                                                       tmp_path):
    """PostgreSQL, FOR UPDATE SKIP LOCKED: two processes drain 1,000 due rows; each arrives once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED claims between processes are a PostgreSQL test (CLINIC_TEST_DATABASE_URL)")
    ids = committed_rows(1000)
    server = SMTPServer().start()
    try:
        procs = [dispatcher(database_url, server.port, f"w{i}", tmp_path) for i in (1, 2)]
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        server.stop()
    assert all(p.returncode == 0 for p in procs), outputs
    counts = server.recorder.counts()
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1 and sum(counts.values()) == 1000
    assert statuses(app, ids) == {"sent": 1000}
    sent_by = [int(out.split("sent=")[1].split()[0]) for out, _err in outputs]
    assert sum(sent_by) == 1000 and all(n > 0 for n in sent_by), sent_by  # both took part


def test_dispatcher_killed_mid_batch_loses_nothing(app, database_url, committed_rows, tmp_path):
    """SIGKILL during a batch leaves rows claimed; after the claim timeout a new process sends them all."""
    ids = committed_rows(120)
    server = SMTPServer(delay=0.03).start()
    try:
        victim = dispatcher(database_url, server.port, "victim", tmp_path, batch=60)
        deadline = time.monotonic() + 60
        while len(server.recorder.row_ids()) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        before = statuses(app, ids)
        assert before.get("sending", 0) > 0, before  # killed in the middle of a claimed batch
        assert before.get("sent", 0) < len(ids)
        time.sleep(2.2)  # longer than the short claim timeout below
        rescuer = dispatcher(database_url, server.port, "rescuer", tmp_path, claim_timeout=2, batch=60)
        out, err = rescuer.communicate(timeout=120)
    finally:
        server.stop()
    assert rescuer.returncode == 0, err
    assert statuses(app, ids) == {"sent": len(ids)}
    counts = server.recorder.counts()
    assert set(counts) == set(ids)
    assert sum(counts.values()) - len(ids) <= 1  # at most the one message in flight at the kill
