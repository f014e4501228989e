"""The patient's medicines on the preparation and manage pages, as a patient reads them on a phone:
one card each, the medicine's name and every word in the page's language (no staff note in English),
the dates written out, a medicine kept or to decide with its prescriber said in a sentence."""

from __future__ import annotations

import datetime as dt
import re

import time_machine

from clinic.links.tokens import link
from clinic.portal.manage import ensure_link, manage_url
from clinic.scheduling.models import Appointment

BOOKED_AT = dt.datetime(2026, 2, 20, 10, 0, tzinfo=dt.UTC)
START = "2026-03-02T09:00:00+01:00"


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _cards(html: str) -> str:
    return _visible(re.search(r'<ul class="medication-cards">.*?</ul>', html, re.S).group(0))


def test_the_medicines_read_in_the_patients_language(client, db, app, paris, make_user, make_patient, api_token):
    make_user("physician", sites=[paris])
    headers = api_token(make_user("front_desk", sites=[paris]))
    patient = make_patient(language="fr", medications=["warfarin", "aspirin"])
    with time_machine.travel(BOOKED_AT, tick=False):
        answer = client.post("/api/v1/appointments", headers=headers, json={
            "patient_id": patient.id, "location": "paris-test", "procedure": "esi-interlaminar", "start": START})
        assert answer.status_code == 201, answer.get_json()
        appointment = db.session.get(Appointment, answer.get_json()["id"])
        ensure_link(appointment)
        pages = {"prepare": link("prepare", patient.id, appointment.id), "manage": manage_url(appointment)}
        db.session.commit()
        holds = {h["drug"]: h for h in appointment.medication_holds}
        assert holds["warfarin"]["action"] == "stop" and holds["warfarin"]["note"].startswith("stop ")
        for name, url in pages.items():
            html = client.get("/" + url.split("/", 3)[3]).get_data(as_text=True)
            cards = _cards(html)
            assert "warfarine" in cards and "Ne plus prendre à partir du" in cards, (name, cards)
            assert "Reprise possible à partir du" in cards and "2026" not in cards.split("warfarine")[0]
            assert re.search(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d+ février", cards), cards
            assert "aspirine" in cards and "aspirin " not in cards
            for english in ("stop ", "restart", "before", "days", "Note", "continue"):
                assert english not in cards, (name, english, cards)
