"""The audit log is complete: every patient shown on a list is one event with the patient's id
(written in one statement per list), every refused attempt on patient data is on record, and
the patient's own export lists each of those views."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.portal.models import PatientRequest
from clinic.reminders.models import Reminder, ReminderStatus
from tests.web import statements

DAY = dt.date(2026, 6, 10)


def audit_inserts(db):
    """The INSERT statements sent to audit_events while the block runs (executemany counts once)."""
    return statements(db, "INSERT INTO AUDIT_EVENTS")


def _events(db, action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


@pytest.fixture
def day_of_three(db, make_patient, make_appointment):
    """Three patients on the Paris test site's list of DAY, the first with two appointments, each
    with a reminder and an open request; and a patient who is on no list."""
    patients = [make_patient(last_name=f"Listed{n}") for n in range(3)]
    appointments = [make_appointment(patient=p, day=DAY, time=dt.time(9 + n)) for n, p in enumerate(patients)]
    appointments.append(make_appointment(patient=patients[0], day=DAY, time=dt.time(15)))
    for a in appointments:
        at = dt.datetime.combine(DAY, dt.time(6), dt.UTC)
        db.session.add(Reminder(appointment_id=a.id, patient_id=a.patient_id, site_id=a.site_id, kind="reminder_7d",
                                send_at=at, next_attempt_at=at, status=ReminderStatus.PLANNED, payload={}))
        db.session.add(PatientRequest(patient_id=a.patient_id, appointment_id=a.id, kind="cancellation"))
    db.session.commit()
    return patients, appointments, make_patient(last_name="Elsewhere")


LISTS = [
    ("front_desk", "/patients/?q=listed", "patient.search"),
    ("nurse", "/api/v1/patients?q=listed", "patient.search"),
    ("front_desk", f"/appointments/?site=paris-test&day={DAY}", "appointment.list"),
    ("nurse", f"/api/v1/appointments?location=paris-test&date={DAY}", "appointment.list"),
    ("nurse", f"/procedures/board?site=paris-test&date={DAY}", "board.read"),
    ("nurse", f"/procedures/board/fragment?site=paris-test&date={DAY}", "board.read"),
    ("admin", f"/admin/outbox/?day={DAY}", "outbox.list"),
    ("front_desk", "/patient-requests", "patient_request.list"),
]


@pytest.mark.parametrize(("role", "path", "action"), LISTS, ids=[p for _r, p, _a in LISTS])
def test_a_list_writes_one_event_per_patient_shown_in_one_statement(client, db, login_as, api_as, day_of_three,
                                                                    role, path, action):
    patients, appointments, elsewhere = day_of_three
    headers = api_as(role) if path.startswith("/api/") else login_as(role) and {}
    with audit_inserts(db) as inserts:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    events = _events(db, action)
    assert sorted(e.patient_id for e in events) == sorted(p.id for p in patients)
    assert elsewhere.id not in {e.patient_id for e in events}
    assert len({e.user_id for e in events}) == 1 and events[0].user_id is not None
    assert {e.organisation_id for e in events} == {p.organisation_id for p in patients} != {None}
    assert len(inserts) == 1
    if action != "patient.search":   # the first patient's two appointments are named in one event
        first = next(e for e in events if e.patient_id == patients[0].id)
        assert sorted(first.details["appointments"]) == sorted([appointments[0].id, appointments[3].id])


def test_a_search_keeps_no_words_that_could_name_a_patient(client, db, login_as, day_of_three):
    login_as("front_desk")
    client.get("/patients/?q=Listed1")
    [event] = _events(db, "patient.search")
    assert "listed" not in json.dumps(event.details).lower()
    assert event.details["query"] == "words"


def test_a_list_that_shows_nobody_is_still_one_event(client, db, login_as):
    login_as("front_desk")
    assert client.get("/patients/?q=nobody-has-this-name").status_code == 200
    [event] = _events(db, "patient.search")
    assert event.patient_id is None and event.details["total"] == 0


def test_the_patients_export_lists_every_list_view(client, db, login, login_as, make_user, paris, day_of_three):
    patients, _appointments, _elsewhere = day_of_three
    desk = make_user("front_desk", sites=[paris])
    login(desk)
    client.get("/patients/?q=listed")
    client.get(f"/appointments/?site=paris-test&day={DAY}")
    client.post("/logout", data={"csrf_token": _token(client)})
    login_as("admin")
    data = client.get(f"/admin/patients/{patients[1].id}/export").get_json()
    views = [(e["action"], e["user_id"]) for e in data["audit_events"] if e["user_id"] == desk.id]
    assert views == [("patient.search", desk.id), ("appointment.list", desk.id)]


def _token(client):
    from tests.web import csrf_token

    return csrf_token(client, "/")


REFUSED = [
    # A nurse may not open the privacy pages: 403 on a route that names a patient.
    ("nurse", "/admin/patients/{patient}/export", 403, "patient"),
    # A user of another organisation: 404 on the appointment (its existence is not revealed to them,
    # but the log names the patient whose data was tried).
    ("front_desk_mn", "/appointments/{appointment}", 404, "appointment"),
    ("front_desk_mn", "/api/v1/appointments/{appointment}", 404, "appointment"),
    # An id that names nothing: 404, still on record (without a patient).
    ("front_desk", "/patients/987654", 404, "patient"),
]


@pytest.mark.parametrize(("who", "path", "status", "kind"), REFUSED, ids=[p for _w, p, _s, _k in REFUSED])
def test_a_refused_attempt_on_patient_data_is_recorded(client, db, login, api_token, make_user, paris, minnesota,
                                                       make_appointment, who, path, status, kind):
    appointment = make_appointment(day=DAY)
    db.session.commit()
    user = make_user(who.removesuffix("_mn"), sites=[minnesota if who.endswith("_mn") else paris])
    url = path.format(patient=appointment.patient_id, appointment=appointment.id)
    if url.startswith("/api/"):
        response = client.get(url, headers=api_token(user))
    else:
        login(user)
        response = client.get(url)
    assert response.status_code == status
    [event] = _events(db, "access.refused")
    assert (event.user_id, event.actor, event.object_type) == (user.id, user.email, kind)
    assert event.details["path"] == url and event.details["status"] == status
    assert event.patient_id == (None if "987654" in url else appointment.patient_id)
    assert not _events(db, "appointment.read")   # the refused read is not on record as a read


def test_an_allowed_read_is_not_a_refusal(client, db, login_as, make_appointment):
    appointment = make_appointment(day=DAY)
    db.session.commit()
    login_as("front_desk")
    assert client.get(f"/appointments/{appointment.id}").status_code == 200
    assert not _events(db, "access.refused")


def test_the_mail_folder_writes_one_event_per_patient_addressed(app, client, db, login_as, make_patient, tmp_path):
    from email.message import EmailMessage

    shown = [make_patient(email=f"mailed{n}@test.example") for n in range(2)]
    for n, to in enumerate([p.email for p in shown] + ["nobody@test.example"]):
        msg = EmailMessage()
        msg["To"], msg["From"], msg["Subject"] = to, "clinic@clinic.example", f"Message {n}"
        msg.set_content("body")
        (tmp_path / f"m{n}.eml").write_bytes(bytes(msg))
    saved, app.config["OUTBOX_DIR"] = app.config["OUTBOX_DIR"], str(tmp_path)
    try:
        login_as("admin")
        with audit_inserts(db) as inserts:
            assert client.get("/admin/mail-folder").status_code == 200
        assert client.get("/admin/mail-folder/m1.eml").status_code == 200
    finally:
        app.config["OUTBOX_DIR"] = saved
    assert sorted(e.patient_id for e in _events(db, "outbox.list")) == [p.id for p in shown]
    assert len(inserts) == 1
    assert [e.patient_id for e in _events(db, "outbox.read")] == [shown[1].id]


def test_reading_a_mail_with_the_longest_name_the_folder_takes_is_audited_under_its_whole_name(
        app, client, db, login_as, make_patient, tmp_path):
    from email.message import EmailMessage

    from clinic.mail.folder import NAME

    patient = make_patient(email="long-name@test.example")
    msg = EmailMessage()
    msg["To"], msg["From"], msg["Subject"] = patient.email, "clinic@clinic.example", "Long name"
    msg.set_content("body")
    name = "r" * 200 + ".eml"
    assert NAME.match(name)
    (tmp_path / name).write_bytes(bytes(msg))
    saved, app.config["OUTBOX_DIR"] = app.config["OUTBOX_DIR"], str(tmp_path)
    try:
        login_as("admin")
        assert client.get(f"/admin/mail-folder/{name}").status_code == 200
    finally:
        app.config["OUTBOX_DIR"] = saved
    [event] = _events(db, "outbox.read")
    assert (event.object_id, event.patient_id) == (name, patient.id)
