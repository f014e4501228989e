"""Reminder messages: subjects free of health information, bodies in the patient's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine

from clinic.catalog import load_procedures
from clinic.catalog.neutral import mail_name
from clinic.labels import ALLERGY_LABELS, CONDITION_LABELS
from clinic.mail.composers import compose
from clinic.patients.models import ALLERGIES, CONDITIONS
from clinic.reminders.composers import SCHEDULE_KINDS, locale_of
from clinic.reminders.models import Reminder
from clinic.reminders.planner import _follows_procedure, plan_notice
from clinic.reminders.schedule import rules
from clinic.scheduling import signals

DRUGS = ("aspirin", "ibuprofen", "diclofenac", "ketorolac", "naproxen", "meloxicam", "warfarin", "acenocoumarol",
         "heparin", "enoxaparin", "dalteparin", "clopidogrel", "prasugrel", "ticagrelor", "dabigatran",
         "rivaroxaban", "edoxaban", "apixaban", "fondaparinux", "cilostazol", "dipyridamole", "steroid",
         "corticoïde", "dexamethasone", "triamcinolone", "prednisolone", "insulin", "anticoag")
BODY_AND_CARE = ("spine", "spinal", "back", "neck", "lumbar", "cervical", "thoracic", "sacral", "sacro",
                 "epidural", "épidurale", "facet", "nerve", "injection", "infiltration", "block", "bloc",
                 "ablation", "dos", "rachis", "colonne", "lombaire", "pain", "douleur", "diabet", "glucose",
                 "glycémie", "sedation", "sédation", "fasting", "jeûne", "bleeding", "saignement", "medication",
                 "médicament", "drug", "fever", "fièvre")
HOLD = {"drug": "warfarin", "stop_on": "2026-06-05", "restart_after": "2026-06-11T10:30:00+02:00", "note": ""}
SHARED = {"drug": "clopidogrel", "drug_fr": "clopidogrel", "stop_on": None, "restart_after": None, "note": "",
          "action": "shared_decision"}


def forbidden_words(app) -> set[str]:
    words = {w.lower() for w in DRUGS + BODY_AND_CARE}
    for proc in load_procedures().values():
        for name in proc.name.values():
            words.update(w.lower() for w in re.findall(r"[\w'-]{4,}", name))
        words.add(proc.code)
    words.update(c.replace("_", " ") for c in CONDITIONS + ALLERGIES)
    for lang in ("en", "fr"):
        with app.test_request_context(), locale_of(lang):
            for label in list(CONDITION_LABELS.values()) + list(ALLERGY_LABELS.values()):
                words.update(w.lower() for w in re.findall(r"[\w-]{5,}", str(label)))
    return words


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("code", sorted(load_procedures()))
def test_no_subject_names_a_procedure_drug_condition_or_body_part(db, app, make_appointment, make_patient, paris,
                                                                 code, language):
    """Every kind, every procedure, both languages: the subject is only date, time and site."""
    patient = make_patient(language=language, conditions=["diabetes"], medications=["warfarin"])
    appointment = make_appointment(patient=patient, procedure_code=code, sedation=True, medication_holds=[HOLD, SHARED],
                                   region="cervical")
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
        plan_notice(appointment, "rearrange")   # the no-show's and the stranded booking's notice
    rows = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id,
                                                        Reminder.kind.in_(SCHEDULE_KINDS))).scalars().all()
    # After-care follows the procedure (steroid texts only after a steroid; the ablation's own timeline).
    expected = {k for k in SCHEDULE_KINDS if _follows_procedure(rules()[k], code)}
    assert {r.kind for r in rows} == expected and "day_before" in expected
    banned = forbidden_words(app)
    for row in rows:
        subject = compose(row)["Subject"].lower()
        hits = [w for w in banned if re.search(rf"(?<!\w){re.escape(w)}", subject)]
        assert not hits, (row.kind, subject, hits)
        assert mail_name(paris).lower() in subject and paris.name.lower() not in subject


def test_subject_style_in_both_languages(db, make_appointment, make_patient, make_site):
    """'Your appointment on Monday, March 30 at 9:00 AM, Drouot, Paris 9e' and its French twin: the
    site's neutral mail name (here its address's short form), never its trade name."""
    drouot = make_site(name="Clinique Drouot Spine", address="Rue Drouot, 75009 Paris")
    for language, expected in (("en", "Your appointment on Monday, March 30 at 9:00 AM, Drouot, Paris 9e"),
                               ("fr", "Votre rendez-vous du lundi 30 mars à 09:00, Drouot, Paris 9e")):
        appointment = make_appointment(site=drouot, patient=make_patient(language=language),
                                       day=dt.date(2026, 3, 30), time=dt.time(9, 0))
        with time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), tick=False):
            signals.appointment_booked.send(appointment)
        row = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id,
                                                           Reminder.kind == "day_before")).scalar_one()
        assert compose(row)["Subject"] == expected


def test_body_in_patient_language_with_red_flags_and_links(db, make_appointment, make_patient, app):
    """The evening message carries the after-care text and red flags; day 7 carries a pain-score link."""
    patient = make_patient(language="fr")
    appointment = make_appointment(patient=patient, medication_holds=[HOLD])
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    rows = {r.kind: r for r in db.session.execute(
        sa.select(Reminder).where(Reminder.appointment_id == appointment.id)).scalars()}
    evening = compose(rows["aftercare_evening"])
    text = evening.get_body(("plain",)).get_content()
    assert "Reposez-vous" in text and "38,3 °C" in text and "Bonjour" in text
    html = evening.get_body(("html",)).get_content()
    assert "<li>" in html and 'lang="fr"' in html
    day7 = compose(rows["pain_score_day7"]).get_body(("plain",)).get_content()
    assert f"{app.config['BASE_URL']}/p/pain/" in day7 and "/p/optout/" in day7
    stop = compose(rows["medication_stop"]).get_body(("plain",)).get_content()
    assert "warfarin" in stop and "vendredi 5 juin" in stop


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_message_is_written_byte_for_byte_as_with_the_standard_policy(db, make_appointment, make_patient,
                                                                           make_site, monkeypatch, language):
    """clinic.mail.composers.POLICY (shared header objects, one-line headers written straight) gives
    the same bytes as email.policy.default, for every kind in both languages, accents and long
    subjects included; only the random multipart boundaries differ."""
    from email import policy
    from email.message import EmailMessage

    from clinic.mail import confirmation
    from clinic.reminders import composers as reminder_composers
    from clinic.reminders.dispatcher import ROW_HEADER

    site = make_site(name="Clinique Médicale Saint-Honoré de la Rive Droite")
    patient = make_patient(language=language, first_name="Léa", last_name="Dupré-Laforêt", conditions=["diabetes"],
                           medications=["warfarin"])
    appointment = make_appointment(site=site, patient=patient, sedation=True, medication_holds=[HOLD, SHARED])
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    rows = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id)).scalars().all()
    rows.append(Reminder(appointment=appointment, patient=patient, site=site, kind="cancellation", language=language))
    rows.append(Reminder(appointment=appointment, patient=patient, site=site, kind="rearrange", language=language,
                         payload={"phase": "notice"}))
    # The ablation's own day-3 message, composed here too (planned only after an ablation).
    rows.append(Reminder(appointment=appointment, patient=patient, site=site, kind="aftercare_day3_rfa",
                         language=language, payload={"phase": "after", "anchor": "end"}))
    assert {r.kind for r in rows} == set(SCHEDULE_KINDS) | {"confirmation", "cancellation"}

    def written(row) -> bytes:
        msg = compose(row)
        msg["From"] = "Clinique Médicale <no-reply@clinic.example>"  # an encoded word in both languages
        msg["Message-ID"] = "<r1.0@clinic.example>"
        msg[ROW_HEADER] = "1"
        raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        return re.sub(rb"={15}\d+==", b"BOUNDARY", raw)

    # Patient links carry a random nonce: the same one for both writings, so only the policy differs.
    from types import SimpleNamespace

    from clinic.links import tokens
    monkeypatch.setattr(tokens, "secrets", SimpleNamespace(token_bytes=lambda n: b"\x07" * n))
    with time_machine.travel(dt.datetime(2026, 5, 2, 9, 0, tzinfo=dt.UTC), tick=False):  # the invite's DTSTAMP
        ours = [written(row) for row in rows]
        for module in (reminder_composers, confirmation):
            monkeypatch.setattr(module, "new_message", EmailMessage)  # email.policy.default
        standard = [written(row) for row in rows]
    assert compose(rows[0]).policy == policy.default
    for row, mine, theirs in zip(rows, ours, standard, strict=True):
        assert mine == theirs, row.kind
    assert any(b"=?utf-8?" in raw for raw in ours)  # encoded words were written the standard way
