"""Races on PostgreSQL with real commits, through the API: one patient never in two places, changes
of one appointment serialised (the loser answers 409 conflict_retry), and never a 5xx.

The rows are made for each test and removed afterwards (tests/cleanup.py).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from clinic.accounts.models import ApiToken, Role, User
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentChange, WorkingHours
from clinic.sites.models import Organisation, Room, Site
from tests.cleanup import purge
from tests.web import csrf_token

pytestmark = pytest.mark.postgres
NOW = dt.datetime(2026, 2, 20, tzinfo=dt.UTC)
PATIENTS = 12
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def clinic(app):
    """A site with two rooms and two physicians working every day, a front-desk token, patients."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        org = Organisation(code=f"races-{tag}", name="Race organisation", country="FR")
        site = Site(organisation=org, code=f"races-{tag}", name="Races", timezone="Europe/Paris", country="FR", language="fr",
                    policy="fr")
        site.rooms = [Room(name="Salle A", modalities=["fluoroscopy"]), Room(name="Salle B", modalities=["fluoroscopy"])]
        docs = [User(email=f"doc{n}-{tag}@test.example", name=f"Doc {n}", role=Role.PHYSICIAN, sites=[site])
                for n in (1, 2)]
        desk = User(email=f"desk-{tag}@test.example", name="Desk", role=Role.FRONT_DESK, sites=[site])
        for user in (*docs, desk):
            user.set_password("x-long-password-1")
        patients = [Patient(organisation=org, first_name="Race", last_name=f"{tag}-{n}", birth_date=dt.date(1970, 1, 1),
                            email=f"races-{tag}-{n}@test.example", language="fr") for n in range(PATIENTS)]
        db.session.add_all([site, *docs, desk, *patients])
        db.session.flush()
        db.session.add_all(WorkingHours(physician_id=doc.id, site_id=site.id, weekday=d, start_time=dt.time(8),
                                        end_time=dt.time(17), valid_from=dt.date(2020, 1, 1))
                           for doc in docs for d in range(7))
        token, raw = ApiToken.issue(desk, "races")
        db.session.add(token)
        db.session.commit()
        ids = {"site": site.id, "code": site.code, "docs": [d.id for d in docs], "desk": desk.id,
               "patients": [p.id for p in patients], "headers": {"Authorization": f"Bearer {raw}"}}
    yield ids
    with app.app_context():
        purge(site_ids=[ids["site"]], user_ids=[*ids["docs"], ids["desk"]], patient_ids=ids["patients"])


def at_once(app, requests: list[tuple[str, dict]], headers: dict) -> list[tuple[int, dict]]:
    """POST each (path, body) from its own thread, all released together; (status, JSON) in order."""
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[int, dict] | None] = [None] * len(requests)

    def send(n: int, path: str, body: dict) -> None:
        client = app.test_client()
        barrier.wait()
        try:
            response = client.post(path, json=body, headers=headers)
            answers[n] = (response.status_code, response.get_json() or {})
        except Exception as err:  # an error the app let through is the test's failure, kept in the answers
            answers[n] = (500, {"error": {"code": repr(err)}})

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=send, args=(n, *req)) for n, req in enumerate(requests)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert all(a is not None for a in answers), answers
    return answers


def code(answer: tuple[int, dict]) -> tuple[int, str]:
    return answer[0], answer[1].get("error", {}).get("code", "")


def book(app, clinic, patient: int, start: str, **kw) -> dict:
    with time_machine.travel(NOW, tick=True):
        response = app.test_client().post("/api/v1/appointments", headers=clinic["headers"], json={
            "patient_id": patient, "location": clinic["code"], "procedure": "esi-interlaminar", "start": start, **kw})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def active_overlaps(app, site_id: int) -> dict[str, int]:
    """Pairs of active appointments of the site overlapping for one physician, room or patient."""
    with app.app_context():
        a, b = Appointment.__table__.alias("a"), Appointment.__table__.alias("b")
        pairs = {}
        for column, end in (("physician_id", "block_end_at"), ("room_id", "block_end_at"), ("patient_id", "end_at")):
            pairs[column] = db.session.execute(sa.select(sa.func.count()).select_from(a).join(b, sa.and_(
                a.c[column] == b.c[column], a.c.id < b.c.id, a.c.start_at < b.c[end], b.c.start_at < a.c[end],
            )).where(a.c.site_id == site_id, a.c.status.in_(ACTIVE_STATUSES), b.c.status.in_(ACTIVE_STATUSES))
            ).scalar_one()
        db.session.commit()
    return pairs


def test_ten_bookings_of_one_patient_at_one_start_book_once(app, clinic):
    """Two rooms and two physicians free at 09:00, one patient booked ten times at once: one 201,
    nine 409 patient_busy, one appointment stored."""
    body = {"patient_id": clinic["patients"][0], "location": clinic["code"], "procedure": "esi-interlaminar",
            "start": "2026-03-02T09:00:00+01:00"}
    answers = at_once(app, [("/api/v1/appointments", body)] * 10, clinic["headers"])
    codes = sorted(code(a) for a in answers)
    assert codes == [(201, "")] + [(409, "patient_busy")] * 9, answers
    with app.app_context():
        count = db.session.execute(sa.select(sa.func.count(Appointment.id)).where(
            Appointment.patient_id == clinic["patients"][0])).scalar_one()
    assert count == 1
    assert active_overlaps(app, clinic["site"]) == {"physician_id": 0, "room_id": 0, "patient_id": 0}


def test_ten_reschedules_of_one_appointment_one_wins(app, clinic):
    """Ten moves of one appointment to ten free times at once: one 200, nine 409 conflict_retry, each
    with the appointment as it now stands; the appointment is where the winner put it, moved once."""
    appt = book(app, clinic, clinic["patients"][0], "2026-03-02T09:00:00+01:00")
    starts = [f"2026-03-03T{8 + n // 2:02d}:{30 * (n % 2):02d}:00+01:00" for n in range(10)]
    path = f"/api/v1/appointments/{appt['id']}/reschedule"
    answers = at_once(app, [(path, {"start": s}) for s in starts], clinic["headers"])
    codes = sorted(code(a) for a in answers)
    assert codes == [(200, "")] + [(409, "conflict_retry")] * 9, answers
    winner = next(body for status, body in answers if status == 200)
    for status, body in answers:
        if status == 409:
            assert body["error"]["details"]["appointment"]["id"] == appt["id"]
            assert body["error"]["details"]["appointment"]["status"] == "booked"
    with app.app_context():
        stored = db.session.get(Appointment, appt["id"])
        assert stored.start_at == dt.datetime.fromisoformat(winner["start"])
        assert stored.ical_sequence == 1
        db.session.commit()


def test_reschedule_racing_a_booking_for_one_slot_never_fails(app, clinic):
    """Fifty rounds: an appointment is moved to noon while another patient books noon with the same
    physician, at once. Only 200/201 or 409, never a 5xx; one of the two holds the slot; no overlap."""
    doc = clinic["docs"][0]
    day = dt.date(2026, 3, 2)
    outcomes: dict[tuple[int, int], int] = {}
    for n in range(50):
        when = day + dt.timedelta(days=n // 2)  # March: no public holiday closes the site
        nine, noon = (dt.datetime.combine(when, dt.time(h + n % 2 * 2), PARIS).isoformat() for h in (9, 12))
        mover, booker = clinic["patients"][n % 6], clinic["patients"][6 + n % 6]
        appt = book(app, clinic, mover, nine, physician_id=doc)
        answers = at_once(app, [
            (f"/api/v1/appointments/{appt['id']}/reschedule", {"start": noon, "physician_id": doc}),
            ("/api/v1/appointments", {"patient_id": booker, "location": clinic["code"], "procedure": "esi-interlaminar",
                                      "start": noon, "physician_id": doc}),
        ], clinic["headers"])
        assert all(status < 500 for status, _ in answers), (n, answers)
        assert all(code(a) in ((200, ""), (201, ""), (409, "slot_unavailable")) for a in answers), (n, answers)
        assert sorted(status for status, _ in answers) in ([200, 409], [201, 409]), (n, answers)
        key = (answers[0][0], answers[1][0])
        outcomes[key] = outcomes.get(key, 0) + 1
    assert active_overlaps(app, clinic["site"]) == {"physician_id": 0, "room_id": 0, "patient_id": 0}
    assert sum(outcomes.values()) == 50


def test_cancel_racing_a_reschedule_of_one_appointment_never_fails(app, clinic):
    """Ten rounds of a cancel and a move of one appointment at once: one 200, the other 409
    (conflict_retry, or invalid_state when it read the appointment already cancelled), never a 5xx;
    the appointment ends as the winner left it: cancelled at nine, or booked at noon."""
    for n in range(10):
        when = dt.date(2026, 3, 2) + dt.timedelta(days=n)
        nine, noon = (dt.datetime.combine(when, dt.time(h), PARIS).isoformat() for h in (9, 12))
        appt = book(app, clinic, clinic["patients"][n], nine)
        path = f"/api/v1/appointments/{appt['id']}"
        answers = at_once(app, [(f"{path}/cancel", {"reason": "Patient called"}), (f"{path}/reschedule", {"start": noon})],
                          clinic["headers"])
        assert all(status < 500 for status, _ in answers), (n, answers)
        codes = sorted(code(a) for a in answers)
        assert codes[0] == (200, "") and codes[1] in ((409, "conflict_retry"), (409, "invalid_state")), (n, answers)
        cancelled = answers[0][0] == 200
        with app.app_context():
            stored = db.session.get(Appointment, appt["id"])
            expected = ("cancelled", nine) if cancelled else ("booked", noon)
            assert (stored.status.value, stored.start_at) == (expected[0], dt.datetime.fromisoformat(expected[1])), (
                n, answers)
            db.session.commit()


def _signed_in_clients(app, clinic, count: int) -> list[tuple]:
    """Test clients signed in as the site's front desk, each with its CSRF token."""
    with app.app_context():
        email = db.session.get(User, clinic["desk"]).email
    clients = []
    for _ in range(count):
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": "x-long-password-1",
                                           "csrf_token": csrf_token(client)}).status_code == 302
        clients.append((client, csrf_token(client, "/")))
    return clients


def _pages_at_once(clients: list[tuple], path: str, data: dict) -> list[tuple[int, str | None]]:
    """POST one form from each signed-in client, all released together: (status, Location) in order."""
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def send(i: int, client, token: str) -> None:
        barrier.wait()
        try:
            response = client.post(path, data={**data, "csrf_token": token})
            answers[i] = (response.status_code, response.headers.get("Location"))
        except Exception as err:  # an error the app let through is the test's failure
            answers[i] = (500, repr(err))

    threads = [threading.Thread(target=send, args=(i, *c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def test_twin_submissions_of_one_reschedule_page_move_once(app, clinic):
    """Five rounds: the new-time confirmation of one appointment posted twice at once with its key
    (two tabs, a double click): both answers lead to the appointment page, never an error, and the
    appointment is moved once (one rescheduled change, ical sequence 1)."""
    for n in range(5):
        when = dt.date(2026, 3, 2) + dt.timedelta(days=n)
        nine, noon = (dt.datetime.combine(when, dt.time(h), PARIS).isoformat() for h in (9, 12))
        appt = book(app, clinic, clinic["patients"][n], nine)
        path = f"/appointments/{appt['id']}/reschedule"
        move = {"physician": "", "week": when.isoformat(), "start": noon}
        # One journey in time: a signed session cookie is refused when the clock goes back.
        with time_machine.travel(NOW, tick=True):
            clients = _signed_in_clients(app, clinic, 2)
            html = clients[0][0].post(path, data={**move, "csrf_token": clients[0][1]}).get_data(as_text=True)
            key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
            answers = _pages_at_once(clients, path, {**move, "confirm": "1", "form_key": key})
        assert answers == [(302, f"/appointments/{appt['id']}")] * 2, (n, answers)
        with app.app_context():
            stored = db.session.get(Appointment, appt["id"])
            moves = db.session.execute(sa.select(sa.func.count()).select_from(AppointmentChange).where(
                AppointmentChange.appointment_id == appt["id"], AppointmentChange.action == "rescheduled")).scalar_one()
            assert (stored.start_at, stored.ical_sequence, moves) == (dt.datetime.fromisoformat(noon), 1, 1), n
            db.session.commit()
