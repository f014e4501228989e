"""Confirmation and cancellation messages: composed from rows, sent through a real SMTP server,
parsed back: subject, language, bodies and the calendar invitation."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.parser import BytesParser

from icalendar import Calendar

from clinic.mail import transport
from clinic.mail.composers import COMPOSERS, compose

HEALTH_WORDS = ("injection", "infiltration", "epidural", "épidurale", "steroid", "corticoïde", "lumbar", "lombaire",
                "apixaban", "warfarin", "diabetes", "diabète", "spine")


def _parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def _subject(msg) -> str:
    """The subject as a mail client shows it: a long one is folded after "Subject:" and Python's
    parser keeps the folding space in front (clients trim it)."""
    return str(msg["Subject"]).strip()


def _invite(msg) -> Calendar:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_content())


def _send_and_receive(smtp_server, reminder):
    msg = compose(reminder)
    message_id = transport.send(msg)
    assert len(smtp_server.messages) == 1
    mail_from, rcpt, raw = smtp_server.messages[0]
    received = _parse(raw)
    assert received["Message-ID"] == message_id
    return received, rcpt


def test_composers_are_registered_at_start_up(app):
    """Importing the app registers both composers (through clinic.screening.views)."""
    assert {"confirmation", "cancellation"} <= set(COMPOSERS)


def test_french_confirmation_through_smtp(db, app, smtp_server, make_patient, make_site, make_booking):
    """A Paris booking: French subject without health words, invite with UID, SEQUENCE, TZID and times."""
    site = make_site(name="Clinique Drouot", address="19 rue Drouot, 75009 Paris", phone="+33 1 40 00 00 00")
    patient = make_patient(language="fr", first_name="Léa", last_name="Martin", medications=["apixaban"],
                           conditions=["diabetes"], birth_date=dt.date(1970, 1, 1))
    appointment, reminder = make_booking(patient, site, dt.datetime(2026, 3, 31, 9, 0), ical_sequence=2)
    received, rcpt = _send_and_receive(smtp_server, reminder)
    assert rcpt == [patient.email]
    assert received["To"] == patient.email  # the address only: a name never reaches a header
    assert _subject(received) == "Votre rendez-vous du mardi 31 mars à 09:00, Drouot, Paris 9e"
    assert not any(w in _subject(received).lower() for w in HEALTH_WORDS)
    assert received["Content-Language"] == "fr"
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Léa Martin" in text and "Préparer votre rendez-vous" in text
    assert "apixaban : dernière prise le mercredi 25 mars 2026" in text
    html = received.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="fr">' in html and "Drouot, Paris 9e" in html
    assert [a.get_filename() for a in received.iter_attachments()] == ["invite.ics"]
    cal = _invite(received)
    assert str(cal["METHOD"]) == "REQUEST"
    event = cal.events[0]
    assert str(event["UID"]) == f"appointment-{appointment.id}@clinic.example"
    assert int(event["SEQUENCE"]) == 2
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event.start == dt.datetime(2026, 3, 31, 9, 0, tzinfo=site.tz)
    assert event.start.utcoffset() == dt.timedelta(hours=2)
    assert event.end.astimezone(dt.UTC) == appointment.end_at
    assert [tz.tz_name for tz in cal.timezones] == ["Europe/Paris"]
    assert not any(w in str(event["SUMMARY"]).lower() for w in HEALTH_WORDS)


def test_english_confirmation_in_minnesota(db, app, smtp_server, make_patient, minnesota, make_booking):
    """A Minnesota booking in English: subject words from babel, Chicago time zone, CST offset after the change."""
    minnesota.name, minnesota.address = "iSpine Pain Physicians", "Chaska, MN 55318"
    patient = make_patient(language="en", birth_date=dt.date(1980, 1, 1))
    appointment, reminder = make_booking(patient, minnesota, dt.datetime(2026, 11, 3, 8, 15))
    received, _ = _send_and_receive(smtp_server, reminder)
    assert _subject(received) == "Your appointment on Tuesday, November 3 at 8:15 AM, Chaska, MN"
    assert received["Content-Language"] == "en"
    event = _invite(received).events[0]
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert event.start.utcoffset() == dt.timedelta(hours=-6)
    assert int(event["SEQUENCE"]) == 0 and str(event["UID"]) == f"appointment-{appointment.id}@clinic.example"
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert "Please arrive at 7:45 AM" in text


def test_cancellation_has_method_cancel_and_the_same_uid(db, app, smtp_server, make_patient, paris, make_booking):
    """The cancellation keeps the UID, carries the appointment's SEQUENCE and METHOD:CANCEL."""
    patient = make_patient(language="en")
    appointment, reminder = make_booking(patient, paris, dt.datetime(2026, 6, 15, 10, 0), kind="cancellation",
                                         ical_sequence=3, status="cancelled")
    received, _ = _send_and_receive(smtp_server, reminder)
    assert _subject(received).startswith("Cancelled: your appointment on Monday, June 15 at 10:00 AM")
    cal = _invite(received)
    assert str(cal["METHOD"]) == "CANCEL"
    event = cal.events[0]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 3
    assert str(event["UID"]) == f"appointment-{appointment.id}@clinic.example"


def test_stored_preparation_is_used_and_escaped(db, app, make_patient, paris, make_booking):
    """The preparation stored at booking is what the message shows, HTML-escaped in the HTML part."""
    patient = make_patient(language="en", last_name="O'Brien <b>")
    _, reminder = make_booking(patient, paris, dt.datetime(2026, 6, 15, 10, 0),
                               preparation=[{"code": "bring", "text": "Bring <your> card"}])
    msg = compose(reminder)
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "Bring &lt;your&gt; card" in html and "<your>" not in html and "&lt;b&gt;" in html
    assert "Bring <your> card" in msg.get_body(preferencelist=("plain",)).get_content()


def test_outbox_file_when_no_smtp_host(db, app, make_patient, paris, make_booking, tmp_path):
    """Without SMTP_HOST the message lands as an .eml file in the outbox folder."""
    saved = app.config["OUTBOX_DIR"], app.config.get("SMTP_HOST")
    app.config.update(OUTBOX_DIR=str(tmp_path), SMTP_HOST=None)
    try:
        _, reminder = make_booking(make_patient(), paris, dt.datetime(2026, 6, 15, 10, 0))
        transport.send(compose(reminder))
    finally:
        app.config["OUTBOX_DIR"], app.config["SMTP_HOST"] = saved
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1 and _invite(_parse(files[0].read_bytes())).events
