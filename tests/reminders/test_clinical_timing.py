"""Reminders that follow the clinical rules: the stop reminder on the last day the drug may be
taken, in the morning; no "take it again" for a shared decision; after-care by procedure; the
red flags with the emergency number of the site's country, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from clinic.mail.composers import compose
from clinic.reminders import planner  # noqa: F401  (connects the receivers)
from clinic.reminders.models import Reminder
from clinic.scheduling import signals

BOOKED_AT = dt.datetime(2026, 2, 2, 15, 0, tzinfo=dt.UTC)


def _plan(db, appointment) -> dict[str, Reminder]:
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    rows = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id)).scalars()
    return {r.kind: r for r in rows}


def _text(row) -> str:
    with time_machine.travel(BOOKED_AT, tick=False):
        return compose(row).get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize("site_name,day,stop_on,expected", [
    # Paris, warfarin stopped from Wednesday 11 March for Monday 16 March: Tuesday 10 March, 08:00.
    ("paris", dt.date(2026, 3, 16), "2026-03-11", dt.datetime(2026, 3, 10, 8, 0)),
    # Minnesota after the change to daylight time (8 March 2026): Tuesday 10 March, 08:00 CDT.
    ("minnesota", dt.date(2026, 3, 15), "2026-03-11", dt.datetime(2026, 3, 10, 8, 0)),
])
def test_stop_reminder_on_the_last_day_the_drug_may_be_taken(request, db, make_appointment, site_name, day,
                                                             stop_on, expected):
    site = request.getfixturevalue(site_name)
    hold = {"drug": "warfarin", "drug_fr": "warfarine", "stop_on": stop_on, "action": "stop",
            "restart_after": f"{day.isoformat()}T16:00:00{'+01:00' if site_name == 'paris' else '-05:00'}"}
    appointment = make_appointment(site=site, day=day, medication_holds=[hold])
    row = _plan(db, appointment)["medication_stop"]
    assert row.send_at.astimezone(site.tz).replace(tzinfo=None) == expected
    text = _text(row)
    assert ("dernier jour" in text and "warfarine" in text) if site.language == "fr" else "last day" in text


def test_a_shared_decision_gets_no_restart_message(db, make_appointment):
    hold = {"drug": "clopidogrel", "stop_on": None, "restart_after": None, "action": "shared_decision"}
    rows = _plan(db, make_appointment(day=dt.date(2026, 3, 16), medication_holds=[hold]))
    assert "medication_restart" not in rows and "medication_stop" not in rows


def test_aftercare_follows_the_procedure(db, make_appointment, make_patient):
    diabetic = make_patient(language="en", conditions=["diabetes"])
    block = _plan(db, make_appointment(day=dt.date(2026, 3, 16), procedure_code="medial-branch-block",
                                       patient=diabetic))
    assert "aftercare_day3" not in block and "glucose_check" not in block and "aftercare_day3_rfa" not in block
    ablation = _plan(db, make_appointment(day=dt.date(2026, 3, 17), procedure_code="rfa"))
    assert "aftercare_day3_rfa" in ablation and "aftercare_day3" not in ablation
    assert "2 to 3 weeks" in _text(ablation["aftercare_day3_rfa"]) or "2 à 3 semaines" in _text(
        ablation["aftercare_day3_rfa"])
    epidural = _plan(db, make_appointment(day=dt.date(2026, 3, 18), procedure_code="esi-interlaminar",
                                          patient=make_patient(language="en", conditions=["diabetes"])))
    assert "glucose_check" in epidural and "steroid" in _text(epidural["aftercare_day3"])


@pytest.mark.parametrize("site_name,language,words", [
    ("paris", "fr", ["appelez le 15 (SAMU) ou 112", "réaction allergique", "douleur du dos"]),
    ("paris", "en", ["call 15 (SAMU) or 112", "allergic reaction", "back pain"]),
    ("minnesota", "en", ["call 911", "allergic reaction", "back pain"]),
    ("minnesota", "fr", ["appelez le 911", "réaction allergique"]),
])
def test_red_flags_give_the_emergency_number_of_the_site_country(request, db, make_appointment, make_patient,
                                                                 site_name, language, words):
    site = request.getfixturevalue(site_name)
    appointment = make_appointment(site=site, day=dt.date(2026, 3, 16), patient=make_patient(language=language))
    text = _text(_plan(db, appointment)["aftercare_evening"])
    for word in words:
        assert word in text, word
    from clinic.screening.sheet import sheet_data

    after = " ".join(sheet_data(appointment)["after"])
    assert words[0].split(" ", 2)[-1] in after


@pytest.mark.parametrize("language,words", [("en", "ask the doctor who prescribes clopidogrel"),
                                            ("fr", "demandez au médecin qui vous prescrit votre traitement par")])
def test_a_shared_decision_reminder_says_to_ask_the_prescriber(db, make_appointment, make_patient, language, words):
    hold = {"drug": "clopidogrel", "drug_fr": "clopidogrel", "stop_on": None, "restart_after": None,
            "action": "shared_decision"}
    appointment = make_appointment(day=dt.date(2026, 3, 16), medication_holds=[hold],
                                   patient=make_patient(language=language))
    row = _plan(db, appointment)["medication_decision"]
    assert row.send_at.astimezone(appointment.site.tz).replace(tzinfo=None) == dt.datetime(2026, 3, 9, 9, 0)
    text = _text(row)
    assert words in text and "take" not in text.split("clopidogrel")[0][-30:]
