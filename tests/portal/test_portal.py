"""Patient links: signed, expiring, per purpose; each shows and changes only its patient's data."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from clinic.audit.models import AuditEvent
from clinic.links.tokens import make_token
from clinic.outcomes.models import PainMoment, PainScore
from clinic.portal.models import PatientRequest
from clinic.reminders import planner  # noqa: F401
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling import signals
from clinic.scheduling.models import AppointmentStatus

HOLD = {"drug": "clopidogrel", "stop_on": "2026-06-03", "restart_after": "2026-06-11T10:30:00+02:00",
        "note": "with your cardiologist's agreement"}
NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def url(purpose, appointment, moment=None, patient_id=None):
    token = make_token(purpose, patient_id or appointment.patient_id, appointment.id, moment)
    return f"/p/{purpose}/{token}"


def events(db, action):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_preparation_page_shows_only_this_patients_appointment(client, db, make_appointment):
    """The sheet shows the time, place, preparation and holds of the linked appointment, audited."""
    appointment = make_appointment(medication_holds=[HOLD], preparation=[{"code": "escort", "text": "Venez accompagné"}])
    other = make_appointment(medication_holds=[{"drug": "warfarin", "stop_on": "2026-06-01"}])
    with time_machine.travel(NOW, tick=False):
        response = client.get(url("prepare", appointment))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "clopidogrel" in html and "Venez accompagné" in html and appointment.site.name in html
    assert "warfarin" not in html and other.patient.last_name not in html
    assert 'lang="fr"' in html and "Préparer votre rendez-vous" in html
    assert events(db, "portal.prepare.view")[0].actor == f"patient:{appointment.patient_id}"


def test_tampered_foreign_or_wrong_purpose_tokens_are_refused(client, make_appointment):
    """A changed token, a token naming another patient's appointment, or for another purpose: 403."""
    appointment = make_appointment()
    other = make_appointment()
    good = url("prepare", appointment)
    assert client.get(good[:-3] + "xyz").status_code == 403
    assert client.get(url("prepare", other, patient_id=appointment.patient_id)).status_code == 403
    assert client.get(good.replace("/p/prepare/", "/p/cancel/")).status_code == 403
    response = client.get(url("pain", appointment))  # a pain link without a moment
    assert response.status_code == 403 and "Lien non valide" in response.get_data(as_text=True)


def test_expired_link_says_so(client, app, make_appointment):
    """After PATIENT_LINK_MAX_AGE_DAYS the link answers 410 with a clear page."""
    appointment = make_appointment()
    with time_machine.travel(NOW, tick=False):
        link = url("prepare", appointment)
    later = NOW + dt.timedelta(days=app.config["PATIENT_LINK_MAX_AGE_DAYS"] + 1)
    with time_machine.travel(later, tick=False):
        response = client.get(link)
    assert response.status_code == 410 and "expiré" in response.get_data(as_text=True)


def test_pain_score_lands_in_the_outcome_record(client, db, post_form, make_appointment):
    """0-10 and a note become the day 7 PainScore, audited as the patient; a second answer replaces it."""
    appointment = make_appointment(status=AppointmentStatus.COMPLETED)
    link = url("pain", appointment, "day7")
    assert client.get(link).status_code == 200
    response = post_form(link, {"score": "4", "note": "Je remarche"})
    assert response.status_code == 200 and "Merci" in response.get_data(as_text=True)
    post_form(link, {"score": "3", "note": ""})
    scores = db.session.execute(sa.select(PainScore).where(PainScore.appointment_id == appointment.id)).scalars().all()
    assert len(scores) == 1 and scores[0].moment == PainMoment.DAY7 and scores[0].score == 3
    assert scores[0].source == "portal"
    created = events(db, "pain_score.create")
    assert created and created[0].actor == f"patient:{appointment.patient_id}" and created[0].channel == "patient"


def test_bad_pain_scores_re_render_without_a_write(client, db, post_form, make_appointment):
    """11, -1 or letters: the form comes back (422) with the error, nothing is stored."""
    appointment = make_appointment(status=AppointmentStatus.COMPLETED)
    link = url("pain", appointment, "day14")
    for bad in ("11", "-1", "abc", ""):
        response = post_form(link, {"score": bad, "note": "x"})
        assert response.status_code == 422
        assert "Donnez une note de 0 à 10." in response.get_data(as_text=True) or bad == "abc"
    assert db.session.execute(sa.select(sa.func.count(PainScore.id))).scalar_one() == 0


def test_cancellation_request_reaches_the_front_desk(client, db, post_form, login_as, make_appointment, paris,
                                                      minnesota, make_user, login):
    """A patient's request appears on the front desk's list of their site, and can be marked handled."""
    appointment = make_appointment()
    with time_machine.travel(NOW, tick=False):
        response = post_form(url("cancel", appointment), {"note": "Empêchement"})
        again = post_form(url("cancel", appointment), {"note": "Encore"})
    assert response.status_code == 200 and again.status_code == 200
    requests = db.session.execute(sa.select(PatientRequest)).scalars().all()
    assert len(requests) == 1 and requests[0].kind == "cancellation" and requests[0].note == "Empêchement"
    login(make_user("front_desk", sites=[minnesota]))
    assert "Empêchement" not in client.get("/patient-requests").get_data(as_text=True)
    assert post_form(f"/patient-requests/{requests[0].id}/handled", token_from="/patient-requests").status_code == 404
    post_form("/logout", token_from="/patient-requests")
    login_as("front_desk")
    page = client.get("/patient-requests").get_data(as_text=True)
    assert "Empêchement" in page and appointment.patient.last_name in page
    response = post_form(f"/patient-requests/{requests[0].id}/handled", token_from="/patient-requests")
    assert response.status_code == 302
    db.session.refresh(requests[0])
    assert requests[0].handled_at is not None
    assert "Empêchement" not in client.get("/patient-requests").get_data(as_text=True)


def test_cancellation_request_for_a_past_appointment_is_refused(client, db, post_form, make_appointment):
    """An appointment already over: no request is stored, the page says to call."""
    appointment = make_appointment(day=dt.date(2026, 5, 1))
    with time_machine.travel(NOW, tick=False):
        response = post_form(url("cancel", appointment), {"note": "trop tard"})
    assert "appelez-nous" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(PatientRequest.id))).scalar_one() == 0


def test_stop_non_essential_messages(client, db, post_form, make_appointment):
    """Opting out sets the flag and skips the non-essential rows not yet sent; essential ones stay."""
    appointment = make_appointment()
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    response = post_form(url("optout", appointment))
    assert response.status_code == 200
    assert appointment.patient.non_essential_opt_out is True
    rows = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id)).scalars().all()
    assert all(r.status == ReminderStatus.SKIPPED for r in rows if not r.essential)
    assert all(r.status == ReminderStatus.PLANNED for r in rows if r.essential)
    assert events(db, "patient.non_essential_opt_out")


def test_patient_requests_page_is_for_the_front_desk(client, login_as):
    """A physician may not open the front desk's request list."""
    login_as("physician")
    assert client.get("/patient-requests").status_code == 403


def test_something_that_is_not_a_token_is_not_found(client):
    """A path segment without a token's shape names nothing: 404."""
    assert client.get("/p/prepare/not-a-token").status_code == 404
