"""Clinical rules that fail safe, through the API: medicines named as people name them, unknown
medicines flagged to the front desk and the physician, holds that cannot be kept said at booking."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from clinic.procedures import services as checklist
from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment, AppointmentStatus
from tests import checklists

NOW = dt.datetime(2026, 2, 20, 14, 0, tzinfo=dt.UTC)   # a Friday, 15:00 in Paris


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(db, paris, make_user, api_token):
    make_user("physician", sites=[paris])
    return api_token(make_user("front_desk", sites=[paris]))


def register(client, desk, *medications, **fields):
    body = {"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1958-04-02", "email": "jm@test.example",
            "language": "fr", "medications": [{"drug": d} if isinstance(d, str) else d for d in medications],
            **fields}
    response = client.post("/api/v1/patients", json=body, headers=desk)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def book(client, desk, patient, start, procedure="esi-interlaminar", **kw):
    body = {"patient_id": patient["id"], "location": "paris-test", "procedure": procedure, "start": start,
            "region": "lumbar", **kw}
    response = client.post("/api/v1/appointments", json=body, headers=desk)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def codes(answer) -> list[str]:
    return [w["code"] for w in answer["warnings"]]


def test_french_and_brand_names_are_held(client, desk, clock):
    """Kardégic, Eliquis, warfarine, Previscan and Lovenox, typed as the desk hears them, are all held."""
    patient = register(client, desk, "Kardégic 75 mg", "ELIQUIS 5 mg x2", "warfarine", "Previscan 20",
                       {"drug": "Lovenox 4000 UI", "indication": "prophylaxie"})
    assert [m["drug"] for m in patient["medications"]][0] == "Kardégic 75 mg"
    answer = book(client, desk, patient, "2026-03-16T09:00:00+01:00")
    holds = {h["drug"]: h for h in answer["medication_holds"]}
    assert set(holds) == {"aspirin", "apixaban", "warfarin", "fluindione", "enoxaparin"}
    assert holds["fluindione"]["stop_on"] == holds["warfarin"]["stop_on"] == "2026-03-11"
    assert holds["fluindione"]["unconfirmed"] is True and holds["fluindione"]["drug_fr"] == "fluindione"
    assert holds["enoxaparin"]["stop_on"] == "2026-03-15T21:00:00+01:00"   # prophylactic: 12 h
    assert holds["aspirin"]["as_written"] == "Kardégic 75 mg"
    assert "medication_unrecognised" not in codes(answer)
    assert codes(answer).count("inr_check") == 2


def test_an_unknown_medicine_is_flagged_with_the_closest_names(client, desk, clock):
    patient = register(client, desk, "Kardegik", "Zorglub 10 mg")
    answer = book(client, desk, patient, "2026-03-16T09:00:00+01:00")
    flagged = [w for w in answer["warnings"] if w["code"] == "medication_unrecognised"]
    assert [w["details"]["drug"] for w in flagged] == ["Kardegik", "Zorglub 10 mg"]
    assert "Kardégic" in flagged[0]["details"]["closest"]
    assert "Kardegik" in flagged[0]["message"] and "Kardegik" in flagged[0]["message_fr"]
    assert answer["medication_holds"] == []


def test_the_physician_reviews_unknown_medicines_before_time_out(client, make_case, nurse, physician,
                                                                 api_token, complete_phase):
    appointment = make_case(medications=["Zorglub"])
    case = checklist.load_case(appointment)
    item = case.item("medicines_reviewed")
    assert item is not None and item.phase == "sign_in" and item.roles == ("physician",) and item.required
    for code in case.open_required("sign_in"):
        if code != "medicines_reviewed":
            entry = case.item(code)
            who = nurse if "nurse" in entry.roles else physician
            checklist.record(appointment, code, checklists.answer(entry), who)
    response = client.post(f"/api/v1/appointments/{appointment.id}/checklist/timeout_patient", json={"value": True},
                           headers=api_token(physician))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "out_of_order"
    assert response.get_json()["error"]["details"]["open"] == ["medicines_reviewed"]
    response = client.post(f"/api/v1/appointments/{appointment.id}/checklist/medicines_reviewed",
                           json={"value": True}, headers=api_token(nurse))
    assert response.status_code == 403
    checklist.record(appointment, "medicines_reviewed", True, physician)
    checklist.record(appointment, "timeout_patient", True, physician)


def test_known_medicines_add_no_review_item(make_case):
    case = checklist.load_case(make_case(medications=["Kardégic 75", "Doliprane"]))
    assert case.item("medicines_reviewed") is None
    assert case.item("anticoagulant_hold_verified") is not None


# ---------------------------------------------------------------- holds that cannot be kept


def test_apixaban_booked_two_days_ahead(client, desk, clock, db):
    """Apixaban (5 days at intermediate risk) on Monday, booked on Friday: the hold cannot be kept."""
    patient = register(client, desk, "Eliquis")
    answer = book(client, desk, patient, "2026-02-23T09:00:00+01:00")
    late = [w for w in answer["warnings"] if w["code"] == "hold_not_achievable"]
    assert len(late) == 1
    assert late[0]["details"] == {"drug": "apixaban", "hold": "5 days", "stop_on": "2026-02-18",
                                  "earliest_date": "2026-02-26"}
    # Told on Friday, the patient stops from Saturday: five days without it, Thursday at the earliest.
    rows = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == answer["id"])).scalars().all()
    assert all(r.send_at.replace(tzinfo=dt.UTC) >= NOW for r in rows)
    assert "medication_stop" not in {r.kind for r in rows}


def test_warfarin_booked_the_day_before(client, desk, clock):
    patient = register(client, desk, "Coumadine")
    answer = book(client, desk, patient, "2026-02-23T09:00:00+01:00")
    late = [w for w in answer["warnings"] if w["code"] == "hold_not_achievable"]
    assert late[0]["details"]["earliest_date"] == "2026-02-26"
    # The texts are for people: the date written out in each language, never in ISO.
    assert "Thursday, February 26, 2026" in late[0]["message"] and "jeudi 26 février 2026" in late[0]["message_fr"]


def test_warfarin_the_day_before_with_short_notice(db, paris, make_patient, clock):
    """Booked on Friday for Saturday (the site allows it): earliest date six days after tomorrow's stop."""
    from clinic.catalog import get_procedure
    from clinic.screening.services import BookingContext, evaluate

    patient = make_patient(medications=["warfarin"])
    start = dt.datetime(2026, 2, 21, 9, 0, tzinfo=paris.tz).astimezone(dt.UTC)
    result = evaluate(BookingContext(patient=patient, procedure=get_procedure("esi-interlaminar"), site=paris,
                                     start_at=start, end_at=start + dt.timedelta(minutes=30), region="lumbar",
                                     history=()))
    assert result.earliest_date == "2026-02-26"


def test_a_hold_that_can_be_kept_says_nothing(client, desk, clock, db):
    patient = register(client, desk, "Eliquis")
    answer = book(client, desk, patient, "2026-03-16T09:00:00+01:00")
    assert "hold_not_achievable" not in codes(answer)
    appointment = db.session.get(Appointment, answer["id"])
    assert appointment.status == AppointmentStatus.BOOKED


def test_booking_screen_offers_the_earliest_date_above_the_confirm_button(client, paris, make_user, login_as,
                                                                           make_patient, clock):
    from tests.web import csrf_token

    make_user("physician", sites=[paris])
    login_as("front_desk")
    patient = make_patient(medications=["Eliquis 5 mg"])
    url = f"/appointments/book/{patient.id}"
    data = {"site": paris.code, "procedure": "esi-interlaminar", "region": "lumbar", "side": "left",
            "levels": "L4-L5", "physician": "", "week": "2026-02-23", "conservative_care_weeks": "8",
            "start": "2026-02-23T09:00:00+01:00"}
    html = client.post(url, data={"csrf_token": csrf_token(client), **data}).get_data(as_text=True)
    notice = html.index('id="hold-not-achievable"')
    assert notice < html.index('name="confirm"')
    assert 'name="goto" value="2026-02-26"' in html and "hold_not_achievable" in html
    # Taking the offer shows the week from that date.
    data |= {"back": "1", "goto": "2026-02-26"}
    html = client.post(url, data={"csrf_token": csrf_token(client), **data}).get_data(as_text=True)
    assert 'value="2026-02-26T09:00:00+01:00"' in html


# ---------------------------------------------------------------- INR and glucose on the day


def _sign_in_except(appointment, nurse, physician, skip):
    case = checklist.load_case(appointment)
    for code in case.open_required("sign_in"):
        if code != skip:
            entry = case.item(code)
            checklist.record(appointment, code, checklists.answer(entry), nurse if "nurse" in entry.roles
                             else physician)


def post_item(client, appointment, code, headers, **body):
    return client.post(f"/api/v1/appointments/{appointment.id}/checklist/{code}", json=body, headers=headers)


def test_inr_above_the_site_maximum_is_refused_and_blocks_time_out(client, make_case, nurse, physician,
                                                                   api_token):
    appointment = make_case(medications=["Coumadine 5 mg"])
    _sign_in_except(appointment, nurse, physician, "inr")
    response = post_item(client, appointment, "inr", api_token(nurse), value=2.8)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "inr_above_limit" and error["details"]["inr"] == 2.8 and error["details"]["max"] == 1.3
    # A nurse's override is no override; the time-out cannot start.
    assert post_item(client, appointment, "inr", api_token(nurse), value=2.8,
                     override_reason="urgent").status_code == 409
    response = post_item(client, appointment, "timeout_patient", api_token(physician), value=True)
    assert response.status_code == 409 and response.get_json()["error"]["details"]["open"] == ["inr"]


def test_inr_within_the_limit_is_accepted(client, make_case, nurse, physician, api_token):
    appointment = make_case(medications=["warfarin"])
    response = post_item(client, appointment, "inr", api_token(nurse), value=1.2)
    assert response.status_code == 200 and response.get_json()["done"] is True


def test_a_physician_override_of_the_inr_is_recorded(client, make_case, nurse, physician, api_token):
    appointment = make_case(medications=["Previscan"])      # fluindione: INR as for warfarin
    _sign_in_except(appointment, nurse, physician, "inr")
    response = post_item(client, appointment, "inr", api_token(physician), value=2.8,
                         override_reason="Cardiology agrees; bleeding risk accepted for this low-risk block")
    assert response.status_code == 200
    entry = checklist.load_case(appointment).entries["inr"]
    assert entry.value == 2.8 and entry.override_reason.startswith("Cardiology")
    assert post_item(client, appointment, "timeout_patient", api_token(physician), value=True).status_code == 200


def test_glucose_gate_where_the_policy_sets_one(client, make_case, make_user, api_token, minnesota, paris):
    """Minnesota sets 300 mg/dL for a diabetic patient; Paris sets no limit."""
    mn_nurse = make_user("nurse", sites=[minnesota])
    appointment = make_case(site=minnesota, conditions=["diabetes"])
    response = post_item(client, appointment, "glucose", api_token(mn_nurse), value=350)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "glucose_above_limit"
    assert response.get_json()["error"]["details"]["glucose"] == 350
    assert response.get_json()["error"]["details"]["max"] == 300
    assert post_item(client, appointment, "glucose", api_token(mn_nurse), value=180).status_code == 200
    paris_nurse = make_user("nurse", sites=[paris])
    appointment = make_case(conditions=["diabetes"])
    assert post_item(client, appointment, "glucose", api_token(paris_nurse), value=3.5).status_code == 200


def test_patient_sex_defaults_to_unknown_and_is_checked(client, desk):
    assert register(client, desk)["sex"] == "unknown"
    body = register(client, desk, sex="female", email="f@test.example", first_name="Anne", last_name="Roux")
    assert body["sex"] == "female"
    response = client.post("/api/v1/patients", headers=desk, json={
        "first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "email": "x@test.example",
        "language": "en", "sex": "f"})
    assert response.status_code == 422 and "sex" in response.get_json()["error"]["details"]
