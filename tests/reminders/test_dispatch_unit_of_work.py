"""The dispatcher commits through the unit of work: its claim, then one commit per row it marks."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine
from sqlalchemy.orm import Session

from clinic import unit_of_work
from clinic.reminders.dispatcher import dispatch_once
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling import signals

BOOKED_AT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)


def test_every_commit_of_a_pass_is_the_unit_of_works(db, smtp, make_appointment, monkeypatch):
    appointment = make_appointment()
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    db.session.commit()
    counted = {"session": 0, "helper": 0}
    original = unit_of_work.commit

    def helper() -> None:
        counted["helper"] += 1
        original()

    def on_commit(_session) -> None:
        counted["session"] += 1

    monkeypatch.setattr(unit_of_work, "commit", helper)
    sa.event.listen(Session, "after_commit", on_commit)
    try:
        with time_machine.travel(BOOKED_AT + dt.timedelta(minutes=1), tick=False):
            counts = dispatch_once(worker_id="uow")
    finally:
        sa.event.remove(Session, "after_commit", on_commit)
    assert (counts.claimed, counts.sent) == (1, 1)
    claim = 1 if db.engine.dialect.name == "postgresql" else 2  # SQLite reads the claimed ids after its UPDATE
    assert counted == {"session": claim + 1, "helper": claim + 1}
    db.session.rollback()
    sent = db.session.execute(sa.select(Reminder.status).where(Reminder.appointment_id == appointment.id,
                                                               Reminder.kind == "confirmation")).scalar_one()
    assert sent == ReminderStatus.SENT
