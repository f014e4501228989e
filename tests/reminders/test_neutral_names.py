"""Every message kind of every demo site, in both languages: the subject and the invite's SUMMARY and
LOCATION carry the site's neutral mail name and no health word (list in messages.toml); every body
gives the site's phone, and every message before the visit carries the one manage link. Every text
message (SMS) likewise: no health word, the mail name, the phone, the short link, one segment."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine
from icalendar import Calendar

from clinic.catalog.neutral import health_word, mail_name, messages_data, short_address
from clinic.mail.composers import COMPOSERS, compose
from clinic.reminders.models import Reminder
from clinic.reminders.schedule import rules
from clinic.scheduling import signals
from clinic.sites.models import Site
from clinic.sms import compose as sms
from clinic.sms import gsm

HOLD = {"drug": "apixaban", "stop_on": "2026-06-07", "restart_after": "2026-06-11T10:30:00+02:00", "note": ""}
# A hold left to the prescriber (its own "ask your prescriber" message) on an ablation (its own after-care).
SHARED = {"drug": "aspirin", "action": "shared_decision", "stop_on": None, "restart_after": None, "note": ""}


@pytest.fixture
def demo_sites(app, db):
    assert app.test_cli_runner().invoke(args=["clinic", "seed-demo"]).exit_code == 0
    sites = db.session.execute(sa.select(Site).order_by(Site.code)).scalars().all()
    assert len(sites) >= 4
    return sites


def _every_row(db, appointment) -> list[Reminder]:
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    rows = list(db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id)).scalars())
    for kind in ("rescheduled", "cancellation", "rearrange"):
        row = Reminder(appointment_id=appointment.id, patient_id=appointment.patient_id, site_id=appointment.site_id,
                       kind=kind, language=appointment.patient.language, send_at=appointment.start_at,
                       next_attempt_at=appointment.start_at,
                       payload={"phase": "notice", "previous_start": "2026-06-09T10:00:00+02:00"})
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def _check_sms(row, site) -> None:
    body = sms.compose(row).body
    assert health_word(body) is None, (site.code, row.kind, body)
    assert mail_name(site) in body and site.phone in body, (site.code, row.kind, body)
    assert re.search(r"/m/[A-Za-z0-9_-]{8,16}(\s|$)", body) and "/p/m/" not in body, body
    assert gsm.is_gsm(body) and gsm.units(body) <= 160, (site.code, row.kind, gsm.units(body), body)


def test_no_health_word_in_any_subject_or_invite(db, demo_sites, make_appointment, make_patient):
    seen, texts = set(), set()
    for site in demo_sites:
        assert health_word(mail_name(site)) is None
        for language in ("en", "fr"):
            patient = make_patient(site=site, language=language, conditions=["diabetes"], medications=["apixaban"],
                                   phone="+33612345678" if site.country == "FR" else "+16125550142", sms_opt_in=True)
            appointment = make_appointment(site=site, patient=patient, sedation=True, medication_holds=[HOLD],
                                           procedure_code="esi-interlaminar", region="lumbar")
            ablation = make_appointment(site=site, patient=make_patient(site=site, language=language,
                                                                                medications=["aspirin"]),
                                        medication_holds=[SHARED], procedure_code="rfa", region="lumbar")
            for row in _every_row(db, appointment) + _every_row(db, ablation):
                if row.channel == "sms":
                    _check_sms(row, site)
                    texts.add((site.code, language, row.kind))
                    continue
                msg = compose(row)
                subject = str(msg["Subject"])
                assert health_word(subject) is None, (site.code, row.kind, subject)
                assert mail_name(site) in subject and site.name not in subject
                text = msg.get_body(("plain",)).get_content()
                assert site.phone in text, (site.code, row.kind)  # the site's phone in every message
                manage_links = len(re.findall(r"/p/m/[A-Za-z0-9_-]+", text))
                expected = 1 if rules()[row.kind].phase == "before" or row.kind in ("confirmation", "rescheduled") else 0
                assert manage_links == expected, (row.kind, manage_links)
                for part in msg.walk():
                    if part.get_content_type() == "text/calendar":
                        event = Calendar.from_ical(part.get_content()).events[0]
                        for field in ("SUMMARY", "LOCATION"):
                            assert health_word(str(event[field])) is None, (site.code, row.kind, field)
                        assert mail_name(site) in str(event["SUMMARY"])
                seen.add(row.kind)
    assert seen == set(rules()) and seen <= set(COMPOSERS)
    kinds = set(messages_data()["sms"]["kinds"])
    assert texts == {(s.code, lang, k) for s in demo_sites for lang in ("en", "fr") for k in kinds}


def test_every_sms_text_of_the_data_has_no_health_word():
    """The [sms] sentences themselves, every kind, both languages, the US stop line included."""
    data = messages_data()["sms"]
    lines = [data[kind][lang] for kind in data["kinds"] for lang in ("en", "fr")]
    lines += [data[part][lang] for part in ("link", "phone") for lang in ("en", "fr")]
    lines += [text for by_lang in data["stop"].values() for text in by_lang.values()]
    assert all(health_word(line) is None for line in lines), [line for line in lines if health_word(line)]


def test_demo_names_would_have_been_caught(demo_sites):
    """The list catches the demo sites' trade names in either language; the defaults are neutral."""
    caught = [s.code for s in demo_sites if health_word(s.name)]
    assert {"chaska", "maple-grove"} <= set(caught)
    assert health_word("Infiltration péridurale") == "infiltration" and health_word("DOULEUR") == "douleur"
    assert short_address("Rue Bachaumont, 75002 Paris") == "Bachaumont, Paris 2e"
    assert short_address("Rue Drouot, 75009 Paris") == "Drouot, Paris 9e"
    assert short_address("Chaska, MN 55318") == "Chaska, MN"
