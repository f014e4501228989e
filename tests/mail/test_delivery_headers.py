"""What arrives at the relay: every message with its Date and its language (Content-Language), and a
message to an address with accented characters sent over SMTPUTF8, or, when the relay lacks it,
failed at once with a sentence that says why (never a raw encoding error)."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa
import time_machine

from clinic.mail import transport
from clinic.reminders.dispatcher import dispatch_once
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling import signals
from tests import smtp

ACCENTED = "hélène@exemple.fr"
START = dt.datetime(2026, 6, 10, 9, 0)  # Paris, local
SENT_AT = dt.datetime(2026, 6, 1, 8, 30, tzinfo=dt.UTC)


def _due(db, *reminders):
    for reminder in reminders:
        reminder.send_at = reminder.next_attempt_at = SENT_AT - dt.timedelta(minutes=1)
    db.session.commit()


def _dispatch():
    with time_machine.travel(SENT_AT, tick=False):
        return dispatch_once(worker_id="test")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_confirmation_arrives_over_smtputf8_with_its_date_and_language(app, db, make_patient, paris,
                                                                           make_booking, language):
    patient = make_patient(language=language, email=ACCENTED, first_name="Hélène")
    _appointment, reminder = make_booking(patient, paris, START)
    _due(db, reminder)
    with smtp.relay(app, smtputf8=True) as relay:
        counts = _dispatch()
    assert (counts.sent, counts.failed) == (1, 0), counts.errors
    [received] = relay.messages
    [(recipients, options)] = relay.recorder.envelopes
    assert recipients == [ACCENTED] and "SMTPUTF8" in [o.upper() for o in options]
    assert received["To"] == ACCENTED  # written in UTF-8, not as an encoded word
    assert received["Content-Language"] == language
    assert parsedate_to_datetime(received["Date"]) == SENT_AT
    db.session.refresh(reminder)
    assert reminder.status == ReminderStatus.SENT


def test_a_relay_without_smtputf8_fails_the_message_with_a_sentence(app, db, make_patient, paris, make_booking):
    """Failed at once (retrying cannot help), the reason a clear sentence; the next message still goes."""
    accented = make_patient(language="fr", email=ACCENTED)
    plain = make_patient(language="fr", email="helene@exemple.fr")
    _a, first = make_booking(accented, paris, START)
    _b, second = make_booking(plain, paris, START + dt.timedelta(hours=2))
    _due(db, first, second)
    with smtp.relay(app, smtputf8=False) as relay:
        counts = _dispatch()
    assert (counts.sent, counts.failed, counts.retrying) == (1, 1, 0)
    assert [m["To"] for m in relay.messages] == ["helene@exemple.fr"]
    db.session.refresh(first)
    assert first.status == ReminderStatus.FAILED
    assert first.last_error == transport.NO_SMTPUTF8
    assert "Unicode" not in first.last_error and "SMTPNotSupported" not in first.last_error


def test_every_reminder_carries_its_date_and_language(app, db, make_appointment, make_patient, paris):
    """The whole schedule of a booking, through the dispatcher: each message says when and in what language."""
    patient = make_patient(language="fr", email=ACCENTED, medications=["apixaban"])
    appointment = make_appointment(paris, patient=patient, day=dt.date(2026, 6, 10))
    with time_machine.travel(dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    with smtp.relay(app, smtputf8=True) as relay:
        for _ in range(100):
            due = db.session.scalar(sa.select(sa.func.min(Reminder.next_attempt_at)).where(
                Reminder.appointment_id == appointment.id, Reminder.status.in_(("planned", "retrying"))))
            if due is None:
                break
            with time_machine.travel(due, tick=False):
                dispatch_once(worker_id="test")
            assert parsedate_to_datetime(relay.messages[-1]["Date"]) == due.replace(microsecond=0)
    kinds = db.session.scalars(sa.select(Reminder.kind).where(Reminder.appointment_id == appointment.id,
                                                               Reminder.status == ReminderStatus.SENT)).all()
    assert len(relay.messages) == len(kinds) >= 5 and {"confirmation", "day_before"} <= set(kinds)
    assert {m["Content-Language"] for m in relay.messages} == {"fr"}
    assert all(m["To"] == ACCENTED for m in relay.messages)


def test_the_mail_folder_writes_the_address_as_it_is(app, db, make_patient, paris, make_booking, tmp_path):
    """Development (no SMTP_HOST): the .eml file holds the address in UTF-8, with Date and language."""
    patient = make_patient(language="en", email=ACCENTED)
    _appointment, reminder = make_booking(patient, paris, START)
    _due(db, reminder)
    saved = app.config["OUTBOX_DIR"], app.config.get("SMTP_HOST")
    app.config.update(OUTBOX_DIR=str(tmp_path), SMTP_HOST=None)
    try:
        assert _dispatch().sent == 1
    finally:
        app.config.update(OUTBOX_DIR=saved[0], SMTP_HOST=saved[1])
    [written] = tmp_path.glob("*.eml")
    assert f"To: {ACCENTED}".encode() in written.read_bytes()
    msg = BytesParser(policy=policy.default).parsebytes(written.read_bytes())
    assert msg["To"] == ACCENTED and msg["Content-Language"] == "en"
    assert parsedate_to_datetime(msg["Date"]) == SENT_AT
