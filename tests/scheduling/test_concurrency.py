"""Fifty simultaneous bookings of one slot with real commits: one wins, the others get 409.

Runs against the test database itself (not the rolled-back `db` fixture) and removes what it made.
On PostgreSQL the exclusion constraint decides; on SQLite the serialised write does.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
import time_machine

from clinic.accounts.models import ApiToken, Role, User
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.scheduling.models import Appointment, WorkingHours
from clinic.sites.models import Organisation, Room, Site
from tests.cleanup import purge

THREADS = 50
NOW = dt.datetime(2026, 2, 20, tzinfo=dt.UTC)


@pytest.fixture
def committed(app):
    """A site, a physician with hours, a front-desk token and patients (one per thread: a patient
    busy elsewhere is another refusal), committed; removed afterwards."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        org = Organisation(code=f"race-{tag}", name="Race organisation", country="FR")
        site = Site(organisation=org, code=f"race-{tag}", name="Race", timezone="Europe/Paris", country="FR", language="fr", policy="fr")
        site.rooms = [Room(name="Fluoro", modalities=["fluoroscopy"])]
        doc = User(email=f"doc-{tag}@test.example", name="Doc", role=Role.PHYSICIAN, sites=[site])
        desk = User(email=f"desk-{tag}@test.example", name="Desk", role=Role.FRONT_DESK, sites=[site])
        for user in (doc, desk):
            user.set_password("x-long-password-1")
        patient = Patient(organisation=org, first_name="Race", last_name=tag, birth_date=dt.date(1970, 1, 1),
                          email=f"race-{tag}@test.example", language="fr")
        others = [Patient(organisation=org, first_name="Race", last_name=f"{tag}-{n}", birth_date=dt.date(1970, 1, 1),
                          email=f"race-{tag}-{n}@test.example", language="fr") for n in range(THREADS)]
        db.session.add_all([site, doc, desk, patient, *others])
        db.session.flush()
        db.session.add_all(WorkingHours(physician_id=doc.id, site_id=site.id, weekday=d, start_time=dt.time(8),
                                        end_time=dt.time(17), valid_from=dt.date(2020, 1, 1)) for d in range(5))
        token, raw = ApiToken.issue(desk, "race")
        db.session.add(token)
        db.session.commit()
        ids = {"site": site.id, "code": site.code, "doc": doc.id, "desk": desk.id, "patient": patient.id, "token": raw,
               "patients": [p.id for p in others]}
    yield ids
    with app.app_context():
        purge(site_ids=[ids["site"]], user_ids=[ids["doc"], ids["desk"]], patient_ids=[ids["patient"], *ids["patients"]])


def test_fifty_threads_book_one_slot_once(app, committed):
    """Exactly one 201, forty-nine 409 slot_unavailable, no 5xx, one row in the table."""
    headers = {"Authorization": f"Bearer {committed['token']}"}
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(patient_id):
        body = {"patient_id": patient_id, "location": committed["code"], "procedure": "esi-interlaminar",
                "start": "2026-03-02T09:00:00+01:00"}
        client = app.test_client()
        barrier.wait()
        try:
            response = client.post("/api/v1/appointments", json=body, headers=headers)
            result = (response.status_code, (response.get_json() or {}).get("error", {}).get("code", ""))
        except Exception as err:  # an unexpected error is a failure to report, not to hide
            result = (500, repr(err))
        with lock:
            answers.append(result)

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=attempt, args=(p,)) for p in committed["patients"]]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    statuses = sorted(code for code, _ in answers)
    assert len(answers) == THREADS
    assert statuses.count(201) == 1, answers
    assert all(a == (409, "slot_unavailable") for a in answers if a[0] != 201), answers
    with app.app_context():
        rows = db.session.execute(sa.select(sa.func.count(Appointment.id)).where(
            Appointment.site_id == committed["site"])).scalar_one()
    assert rows == 1


def test_overlapping_slots_booked_at_once_never_fail_or_overlap(app, committed):
    """Twelve bookings of overlapping times for one physician and room: only 201 or 409, never a
    server error (PostgreSQL may deadlock two such inserts), and no two stored blocks overlap."""
    headers = {"Authorization": f"Bearer {committed['token']}"}
    starts = [f"2026-03-02T{9 + m // 60:02d}:{m % 60:02d}:00+01:00" for m in range(0, 180, 15)]
    barrier = threading.Barrier(len(starts))
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(start, patient_id):
        client = app.test_client()
        body = {"patient_id": patient_id, "location": committed["code"],
                "procedure": "esi-interlaminar", "start": start, "physician_id": committed["doc"]}
        barrier.wait()
        try:
            response = client.post("/api/v1/appointments", json=body, headers=headers)
            result = (response.status_code, (response.get_json() or {}).get("error", {}).get("code", ""))
        except Exception as err:
            result = (500, repr(err))
        with lock:
            answers.append(result)

    with time_machine.travel(NOW, tick=True):
        pairs = zip(starts, committed["patients"], strict=False)
        threads = [threading.Thread(target=attempt, args=pair) for pair in pairs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert len(answers) == len(starts)
    assert all(code == 201 or (code, err) == (409, "slot_unavailable") for code, err in answers), answers
    with app.app_context():
        blocks = db.session.execute(sa.select(Appointment.start_at, Appointment.block_end_at).where(
            Appointment.site_id == committed["site"]).order_by(Appointment.start_at)).all()
    assert len(blocks) == sum(1 for code, _ in answers if code == 201) >= 1
    assert all(a.block_end_at <= b.start_at for a, b in zip(blocks, blocks[1:], strict=False))


@pytest.mark.postgres
def test_booking_chosen_as_deadlock_victim_answers_409(app, committed):
    """Two transactions inserting overlapping blocks at once can deadlock in the exclusion constraint's
    check (each waits for the other's uncommitted row); PostgreSQL aborts one. That booking must
    answer 409 slot_unavailable, not 500 (bookings under load once did). The deadlock is made on
    purpose: a rival transaction holds 09:00, the API booking of 09:15 waits for it, then the rival
    inserts 09:45, which overlaps the waiting 09:15 row. The API's side checks first (after the
    default deadlock_timeout of 1 s; the rival's is 30 s), so the API's booking is the one aborted."""
    headers = {"Authorization": f"Bearer {committed['token']}"}
    body = {"patient_id": committed["patient"], "location": committed["code"], "procedure": "esi-interlaminar",
            "start": "2026-03-02T09:15:00+01:00", "physician_id": committed["doc"]}
    errors: list[str] = []
    answers: list[tuple[int, str]] = []

    def sqlstate(context) -> None:
        errors.append(getattr(context.original_exception, "sqlstate", None) or "")

    def booking() -> None:
        try:
            response = app.test_client().post("/api/v1/appointments", json=body, headers=headers)
            answers.append((response.status_code, (response.get_json() or {}).get("error", {}).get("code", "")))
        except Exception as err:  # an error the app let through is this test's failure
            answers.append((500, repr(err)))

    def block(minutes: int, room_id: int) -> Appointment:
        start = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)  # 09:00 Paris + minutes
        return Appointment(patient_id=committed["patients"][0], site_id=committed["site"], room_id=room_id,
                           physician_id=committed["doc"], procedure_code="esi-interlaminar", start_at=start,
                           end_at=start + dt.timedelta(minutes=30), block_end_at=start + dt.timedelta(minutes=40))

    with app.app_context(), time_machine.travel(NOW, tick=True):
        room_id = db.session.execute(sa.select(Room.id).where(Room.site_id == committed["site"])).scalar_one()
        db.session.commit()
        sa.event.listen(db.engine, "handle_error", sqlstate)
        rival, thread = sa.orm.Session(bind=db.engine), None
        try:
            rival.execute(sa.text("SET LOCAL deadlock_timeout = '30s'"))
            rival.add(block(0, room_id))
            rival.flush()
            rival_pid = rival.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            thread = threading.Thread(target=booking)
            thread.start()
            waiting, deadline = None, time.monotonic() + 30
            while waiting is None and time.monotonic() < deadline and thread.is_alive():
                waiting = db.session.execute(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE :rival = ANY(pg_blocking_pids(pid))"),
                    {"rival": rival_pid}).scalar()
                db.session.commit()
                time.sleep(0.01)
            assert waiting is not None, f"the booking never waited for the rival: {answers}"
            rival.add(block(45, room_id))  # overlaps the waiting 09:15 block: a cycle of waits
            rival.flush()
            rival.commit()
        finally:
            rival.close()
            if thread is not None:
                thread.join(60)
            sa.event.remove(db.engine, "handle_error", sqlstate)
    assert "40P01" in errors, errors  # the booking was the deadlock's victim...
    assert answers == [(409, "slot_unavailable")]  # ...and was refused as taken, not failed
    with app.app_context():
        starts = db.session.execute(sa.select(Appointment.start_at).where(
            Appointment.site_id == committed["site"]).order_by(Appointment.start_at)).scalars().all()
    assert [s.astimezone(dt.UTC).strftime("%H:%M") for s in starts] == ["08:00", "08:45"]  # the rival's two
