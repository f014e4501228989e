"""The patient's story on their page: coming and past appointments with their status, the holds in
force, the procedure history, the messages sent and failed, the requests and the pain scores, each
linked; each section for the roles that may see it, in the reader's language."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_date

from clinic.db import utcnow
from clinic.extensions import db
from clinic.outcomes.models import PainMoment, PainScore
from clinic.patients.models import InjectionRecord
from clinic.portal.models import PatientRequest
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.timeutil import local_date


def _hold(coming_day: dt.date, tz) -> dict:
    restart = dt.datetime.combine(coming_day + dt.timedelta(days=1), dt.time(15, 30), tz)
    return {"drug": "apixaban", "drug_fr": "apixaban", "stop_on": (coming_day - dt.timedelta(days=2)).isoformat(),
            "restart_after": restart.isoformat(), "note": "", "action": "stop"}


@pytest.fixture
def story(make_patient, make_appointment, paris):
    now = utcnow()
    today = local_date(now, paris.tz)
    patient = make_patient(site=paris, first_name="Hélène", last_name="Dupont", language="fr")
    past = make_appointment(paris, today - dt.timedelta(days=36), dt.time(9, 0), patient, procedure_code="facet-joint",
                            status="completed", region="lumbar")
    coming_day = today + dt.timedelta(days=5)
    coming = make_appointment(paris, coming_day, dt.time(9, 0), patient, procedure_code="esi-interlaminar",
                              region="lumbar", medication_holds=[_hold(coming_day, paris.tz)])
    org = patient.organisation_id
    db.session.add_all([
        InjectionRecord(patient_id=patient.id, organisation_id=org, appointment_id=past.id,
                        performed_on=today - dt.timedelta(days=36), procedure_code="facet-joint", region="lumbar",
                        steroid="triamcinolone", dose_mg=40.0),
        Reminder(appointment_id=coming.id, patient_id=patient.id, organisation_id=org, site_id=paris.id,
                 kind="week_before", channel="email", send_at=now - dt.timedelta(hours=2), next_attempt_at=now,
                 status=ReminderStatus.FAILED),
        Reminder(appointment_id=coming.id, patient_id=patient.id, organisation_id=org, site_id=paris.id,
                 kind="confirmation", channel="email", send_at=now - dt.timedelta(days=3), next_attempt_at=now,
                 status=ReminderStatus.SENT),
        PatientRequest(patient_id=patient.id, organisation_id=org, appointment_id=coming.id, kind="reschedule",
                       note="Plutôt l'après-midi", created_at=now - dt.timedelta(days=1)),
        PainScore(appointment_id=past.id, patient_id=patient.id, organisation_id=org, moment=PainMoment.DAY7,
                  score=3, recorded_at=now - dt.timedelta(days=29)),
    ])
    db.session.commit()
    return patient, past, coming


def _stop_words(coming, language: str) -> tuple[str, str]:
    """The stop date's day and month name as the reader's language writes them, and its ISO form."""
    stop = dt.date.fromisoformat(coming.medication_holds[0]["stop_on"])
    return f"{stop.day} {format_date(stop, 'MMMM', locale=language)}", stop.isoformat()


def _page(client, login, make_user, paris, role, patient, language="en"):
    login(make_user(role, sites=[paris], language=language))
    response = client.get(f"/patients/{patient.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_desk_reads_appointments_holds_messages_and_requests(client, login, make_user, paris, story):
    patient, past, coming = story
    html = _page(client, login, make_user, paris, "front_desk", patient)
    coming_at, past_at = html.index("Coming"), html.index("Past")
    assert f'href="/appointments/{coming.id}"' in html[coming_at:past_at]
    assert f'href="/appointments/{past.id}"' in html[past_at:]
    assert "Completed" in html[past_at:] and "Booked" in html[coming_at:past_at]
    assert "Medicine holds in force" in html and "apixaban" in html
    words, iso = _stop_words(coming, "en")
    holds = html.split("Medicine holds in force", 1)[1].split("</table>", 1)[0]
    assert words.split()[0] in holds and words.split()[1] in holds and iso not in holds
    assert "1 message did not reach the patient" in html and "Reminder one week before" in html
    assert "Another time requested" in html and "Plutôt l&#39;après-midi" in html
    assert "Facet joint" in html or "facet" in html.lower()
    assert "Pain scores" not in html                    # clinical: for physicians and nurses


def test_a_nurse_reads_the_pain_scores_and_not_the_requests(client, login, make_user, paris, story):
    patient, past, _coming = story
    html = _page(client, login, make_user, paris, "nurse", patient)
    assert "Pain scores" in html and "After a week" in html and ">3<" in html
    assert "Requests" not in html


def test_the_story_in_french(client, login, make_user, paris, story):
    patient, _past, coming = story
    html = _page(client, login, make_user, paris, "front_desk", patient, language="fr")
    assert "À venir" in html and "Suspensions de médicaments en cours" in html and "Réservé" in html
    words, iso = _stop_words(coming, "fr")
    holds = html.split("Suspensions de médicaments en cours", 1)[1].split("</table>", 1)[0]
    assert words in holds and iso not in holds and "T15:30" not in holds     # no ISO date or instant


def test_a_patient_with_no_story_has_useful_empty_states(client, login, make_user, make_patient, paris):
    patient = make_patient(site=paris)
    html = _page(client, login, make_user, paris, "front_desk", patient)
    assert "No coming appointment." in html and "No message to this patient yet." in html
    assert "No request from this patient." in html
