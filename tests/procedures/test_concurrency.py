"""Two clinicians answering the same item at the same moment (real commits on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
import sqlalchemy as sa

from clinic.accounts.models import Role, User
from clinic.db import utcnow
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.procedures import services
from clinic.procedures.models import Checklist, ChecklistEntry
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.sites.models import Organisation, Room, Site
from tests import factories
from tests.cleanup import purge


@pytest.fixture
def committed_case(app):
    """A checked-in appointment and two nurses, committed for real, removed afterwards."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are PostgreSQL's; SQLite serialises writes")
        tag = uuid.uuid4().hex[:8]
        organisation = Organisation(code=f"cc-{tag}", name="Test group", country="FR")
        site = Site(organisation=organisation, code=f"cc-{tag}", name="CC", timezone="Europe/Paris", country="FR",
                    language="fr", policy="fr")
        site.rooms = [Room(name="R", modalities=["fluoroscopy"])]
        users = [User(email=f"{r}-{tag}@t.example", name=r, role=Role(r), sites=[site])
                 for r in ("nurse", "nurse", "physician")]
        users[1].email = f"nurse2-{tag}@t.example"
        for u in users:
            u.set_password("x-long-password")
        patient = Patient(organisation=organisation, first_name="C", last_name=f"C{tag}",
                          birth_date=dt.date(1970, 1, 1), email=f"c-{tag}@t.example", language="fr")
        db.session.add_all([site, *users, patient])
        db.session.flush()   # the organisation has its id: the appointment takes it from its patient
        start = utcnow().replace(microsecond=0)
        appointment = factories.appointment(site, patient, start=start, turnover=10, room=site.rooms[0],
                                            physician=users[2], procedure_code="facet-joint",
                                            status=AppointmentStatus.CHECKED_IN, region=None, side=None)
        ids = {"appointment": appointment.id, "nurses": [users[0].id, users[1].id], "patient": patient.id,
               "users": [u.id for u in users], "site": site.id}
        services.record(appointment, "pain_before", 5, users[0])
        db.session.commit()
        db.session.remove()
    yield ids
    with app.app_context():
        purge(site_ids=[ids["site"]], user_ids=ids["users"], patient_ids=[ids["patient"]])
        db.session.remove()


def test_simultaneous_answers_form_one_chain(app, committed_case):
    """Two simultaneous answers to one item: both kept, one superseding the other, one current."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def answer(nurse_id: int, score: int) -> None:
        with app.app_context():
            try:
                appointment = db.session.get(Appointment, committed_case["appointment"])
                nurse = db.session.get(User, nurse_id)
                barrier.wait(timeout=10)
                services.record(appointment, "pain_before", score, nurse)
                db.session.commit()
            except BaseException as err:  # noqa: BLE001 - reported to the test thread
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=answer, args=(n, s)) for n, s in zip(committed_case["nurses"], (6, 7), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with app.app_context():
        checklist = db.session.scalars(
            sa.select(Checklist).where(Checklist.appointment_id == committed_case["appointment"])).one()
        rows = db.session.scalars(sa.select(ChecklistEntry).where(ChecklistEntry.checklist_id == checklist.id)
                                  .order_by(ChecklistEntry.id)).all()
        assert [r.value for r in rows][0] == 5 and len(rows) == 3
        assert [r.superseded_by_id for r in rows] == [rows[1].id, rows[2].id, None]
        db.session.remove()
