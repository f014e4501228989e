"""Data protection: an admin exports all of one patient's data and erases identity on request."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.audit.services import record
from clinic.outcomes.models import PainMoment, PainScore
from clinic.patients.models import InjectionRecord, Patient
from clinic.portal.models import PatientRequest
from clinic.procedures.models import Checklist, ChecklistEntry
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling.models import Appointment, AppointmentChange
from tests.web import csrf_token


def _reminder(db, appointment, status=ReminderStatus.PLANNED, kind="reminder_7d"):
    at = dt.datetime(2026, 6, 3, 8, tzinfo=dt.UTC)
    row = Reminder(appointment_id=appointment.id, patient_id=appointment.patient_id, site_id=appointment.site_id,
                   kind=kind, send_at=at, next_attempt_at=at, status=status, payload={"body": "SECRET BODY"})
    db.session.add(row)
    return row


def _rich_patient(db, make_patient, make_appointment):
    patient = make_patient(phone="+33 6 11 22 33 44", sms_opt_in=True, medications=[("clopidogrel", "stent 2024")],
                           conditions=["diabetes"], allergies=["latex"])
    appointment = make_appointment(patient=patient, warnings=[{"code": "w1"}],
                                   medication_holds=[{"drug": "clopidogrel"}], preparation=[{"code": "escort"}])
    nurse = appointment.physician
    db.session.add(AppointmentChange(appointment_id=appointment.id, action="booked", note="first booking"))
    checklist = Checklist(appointment_id=appointment.id, template_code="esi")
    db.session.add(checklist)
    db.session.flush()
    db.session.add(ChecklistEntry(checklist_id=checklist.id, item_code="consent", value=True, done=True,
                                  recorded_by_id=nurse.id))
    db.session.add(InjectionRecord(patient_id=patient.id, appointment_id=appointment.id,
                                   performed_on=dt.date(2026, 6, 10), procedure_code="esi-transforaminal",
                                   steroid="dexamethasone", dose_mg=8))
    db.session.add(PainScore(appointment_id=appointment.id, patient_id=patient.id, moment=PainMoment.BEFORE, score=7))
    db.session.add(PatientRequest(patient_id=patient.id, appointment_id=appointment.id, kind="cancellation"))
    _reminder(db, appointment)
    _reminder(db, appointment, ReminderStatus.SENT, kind="confirmation")
    record("appointment.read", "appointment", appointment.id, patient.id, actor="test")
    db.session.commit()
    return patient, appointment


def test_export_holds_all_of_the_patients_data_and_none_of_others(client, db, login_as, make_patient,
                                                                   make_appointment):
    """The JSON download has identity, appointments with history and checklist, records and audit rows."""
    patient, appointment = _rich_patient(db, make_patient, make_appointment)
    other = make_appointment(warnings=[{"code": "other-warning"}])
    _reminder(db, other)
    db.session.commit()
    login_as("admin")
    response = client.get(f"/admin/patients/{patient.id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["patient"]["last_name"] == patient.last_name and data["patient"]["phone"] == "+33 6 11 22 33 44"
    assert data["patient"]["sms_opt_in"] is True
    assert data["medications"] == [{"drug": "clopidogrel", "indication": "stent 2024"}]
    assert data["patient"]["conditions"] == ["diabetes"] and data["patient"]["allergies"] == ["latex"]
    [appt] = data["appointments"]
    assert appt["id"] == appointment.id and appt["warnings"] == [{"code": "w1"}]
    assert appt["medication_holds"] and appt["preparation"] == [{"code": "escort"}]
    assert appt["history"][0]["note"] == "first booking"
    assert appt["checklist"]["entries"][0]["item_code"] == "consent"
    assert data["injection_records"][0]["steroid"] == "dexamethasone"
    assert {r["kind"] for r in data["reminders"]} == {"reminder_7d", "confirmation"}
    assert "payload" not in data["reminders"][0]
    assert data["pain_scores"][0]["score"] == 7 and data["patient_requests"][0]["kind"] == "cancellation"
    assert any(e["action"] == "appointment.read" for e in data["audit_events"])
    text = response.get_data(as_text=True)
    assert "other-warning" not in text and other.patient.last_name not in text and "SECRET BODY" not in text
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "privacy.export",
                                                          AuditEvent.patient_id == patient.id)).scalar_one()


def test_erasure_pseudonymises_identity_and_keeps_clinical_records(client, db, login_as, make_patient,
                                                                    make_appointment):
    """Names, e-mail, phone, birth day and indications go; pending reminders are cancelled; records stay."""
    patient, appointment = _rich_patient(db, make_patient, make_appointment)
    pid, last_name = patient.id, patient.last_name
    login_as("admin")
    page = client.get(f"/admin/patients/{pid}/erase")
    assert page.status_code == 200 and last_name in page.get_data(as_text=True)
    response = client.post(f"/admin/patients/{pid}/erase",
                           data={"confirmation": last_name, "csrf_token": csrf_token(client, f"/admin/patients/{pid}/erase")})
    assert response.status_code == 302
    db.session.expire_all()
    erased = db.session.get(Patient, pid)
    assert (erased.first_name, erased.last_name) == ("Erased", "Erased")
    assert erased.email == f"erased-{pid}@invalid" and erased.phone == "" and erased.sms_opt_in is False
    assert erased.birth_date == dt.date(1960, 1, 1) and erased.pseudonymised_at is not None
    assert [m.indication for m in erased.medications] == [None] and erased.medications[0].drug == "clopidogrel"
    statuses = {r.kind: r.status for r in db.session.execute(
        sa.select(Reminder).where(Reminder.patient_id == pid)).scalars()}
    assert statuses == {"reminder_7d": ReminderStatus.CANCELLED, "confirmation": ReminderStatus.SENT}
    assert db.session.get(Appointment, appointment.id) is not None
    assert db.session.execute(sa.select(Checklist).where(Checklist.appointment_id == appointment.id)).scalar_one()
    assert db.session.execute(sa.select(InjectionRecord).where(InjectionRecord.patient_id == pid)).scalar_one()
    actions = set(db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.patient_id == pid)).scalars())
    assert {"appointment.read", "privacy.erase"} <= actions


def test_wrong_confirmation_is_refused_and_the_form_shown_again(client, db, login_as, make_patient):
    """A last name that does not match changes nothing and re-renders the form with what was typed."""
    patient = make_patient(last_name="Durand")
    login_as("admin")
    url = f"/admin/patients/{patient.id}/erase"
    response = client.post(url, data={"confirmation": "Dupont<b>", "csrf_token": csrf_token(client, url)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "does not match" in html and 'value="Dupont&lt;b&gt;"' in html
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).last_name == "Durand"
    assert not db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "privacy.erase")).first()


def test_post_without_csrf_token_erases_nothing(client, db, login_as, make_patient):
    """The erasure form needs its CSRF token."""
    patient = make_patient(last_name="Martin")
    login_as("admin")
    response = client.post(f"/admin/patients/{patient.id}/erase", data={"confirmation": "Martin"})
    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).pseudonymised_at is None


@pytest.mark.parametrize("role", ["front_desk", "physician", "nurse"])
def test_non_admins_get_403(client, login_as, make_patient, role):
    """Export and erasure belong to admins only."""
    patient = make_patient()
    login_as(role)
    assert client.get(f"/admin/patients/{patient.id}/export").status_code == 403
    assert client.get(f"/admin/patients/{patient.id}/erase").status_code == 403


def test_patient_page_links_for_admins(client, login_as, make_patient):
    """The patient page offers export and erasure to an admin."""
    patient = make_patient()
    login_as("admin")
    html = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f"/admin/patients/{patient.id}/export" in html and f"/admin/patients/{patient.id}/erase" in html


def test_patient_page_has_no_privacy_links_for_front_desk(client, login_as, make_patient):
    """The front desk does not see the export and erasure links."""
    patient = make_patient()
    login_as("front_desk")
    html = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f"/patients/{patient.id}/edit" in html and f"/admin/patients/{patient.id}/export" not in html


def test_unknown_patient_is_404(client, login_as):
    """A patient id that names nobody answers 404 on both pages."""
    login_as("admin")
    assert client.get("/admin/patients/999999/export").status_code == 404
    assert client.get("/admin/patients/999999/erase").status_code == 404
