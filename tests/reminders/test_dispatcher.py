"""The dispatcher against a real SMTP server: claims, marks, retries with backoff, never resends."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from clinic.reminders import services
from clinic.reminders.dispatcher import dispatch_once
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling import signals
from clinic.scheduling.models import AppointmentStatus
from tests.smtp import SMTPServer, free_port

BOOKED_AT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)


def book(appointment, at=BOOKED_AT):
    with time_machine.travel(at, tick=False):
        signals.appointment_booked.send(appointment)


def rows_of(db, appointment):
    return list(db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id)
                                   .order_by(Reminder.send_at, Reminder.id)).scalars())


def run_through(db, appointment, until: dt.datetime):
    """Dispatch at each due time in order, as the periodic job would over the weeks."""
    for _ in range(100):
        due = db.session.execute(sa.select(sa.func.min(Reminder.next_attempt_at)).where(
            Reminder.appointment_id == appointment.id, Reminder.status.in_(("planned", "retrying")))).scalar()
        if due is None or due > until:
            return
        with time_machine.travel(due, tick=False):
            dispatch_once(worker_id="test")


def test_due_rows_are_sent_once_and_marked(db, smtp, make_appointment):
    """Only due rows go out; each is marked sent with its Message-ID and is not sent again."""
    appointment = make_appointment()
    book(appointment)
    with time_machine.travel(BOOKED_AT + dt.timedelta(minutes=1), tick=False):
        first = dispatch_once(worker_id="a")
        second = dispatch_once(worker_id="b")
    assert (first.claimed, first.sent, second.claimed) == (1, 1, 0)
    confirmation = next(r for r in rows_of(db, appointment) if r.kind == "confirmation")
    db.session.refresh(confirmation)
    assert confirmation.status == ReminderStatus.SENT and confirmation.sent_at is not None
    assert smtp.messages[0]["Message-ID"] == confirmation.message_id
    assert smtp.recorder.counts() == {confirmation.id: 1}
    assert all(r.status == ReminderStatus.PLANNED for r in rows_of(db, appointment) if r.kind != "confirmation")


def test_whole_schedule_goes_out_at_its_times(db, smtp, make_appointment):
    """Run through the weeks: every planned row is sent once, in its send order, none early."""
    appointment = make_appointment()
    book(appointment)
    run_through(db, appointment, dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    rows = rows_of(db, appointment)
    for row in rows:
        db.session.refresh(row)
    assert all(r.status == ReminderStatus.SENT for r in rows)
    assert all(r.sent_at >= r.send_at for r in rows)
    assert sorted(smtp.recorder.counts().values()) == [1] * len(rows)


def test_rescheduled_appointments_old_rows_are_never_sent(db, smtp, make_appointment):
    """After a reschedule only the new rows are delivered; the old ones stay cancelled."""
    appointment = make_appointment()
    book(appointment)
    old_ids = {r.id for r in rows_of(db, appointment)}
    old_start = appointment.start_at
    for name in ("start_at", "end_at", "block_end_at"):
        setattr(appointment, name, getattr(appointment, name) + dt.timedelta(days=3))
    with time_machine.travel(BOOKED_AT + dt.timedelta(hours=1), tick=False):
        signals.appointment_rescheduled.send(appointment, old_start_at=old_start, old_end_at=None)
    run_through(db, appointment, dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    received = set(smtp.recorder.row_ids())
    assert received and not received & old_ids
    assert all(db.session.get(Reminder, i).status == ReminderStatus.CANCELLED for i in old_ids if i not in received)


def test_cancelled_appointments_pending_rows_are_never_sent(db, smtp, make_appointment):
    """A cancellation: one notice is delivered, nothing else that was pending."""
    appointment = make_appointment()
    book(appointment)
    appointment.status = AppointmentStatus.CANCELLED
    with time_machine.travel(BOOKED_AT + dt.timedelta(days=1), tick=False):
        signals.appointment_cancelled.send(appointment, reason="patient")
    run_through(db, appointment, dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    kinds = [db.session.get(Reminder, i).kind for i in smtp.recorder.row_ids()]
    assert kinds == ["cancellation"]


def test_row_cancelled_directly_in_the_table_is_not_sent(db, smtp, make_appointment):
    """A row whose appointment is cancelled is marked cancelled at dispatch, never sent."""
    appointment = make_appointment()
    book(appointment)
    appointment.status = AppointmentStatus.CANCELLED  # no signal: the dispatcher still checks
    db.session.flush()
    with time_machine.travel(dt.datetime(2026, 6, 9, 7, 5, tzinfo=dt.UTC), tick=False):
        counts = dispatch_once(worker_id="t")
    assert counts.sent == 0 and counts.cancelled == counts.claimed >= 2
    assert smtp.messages == []


def test_before_reminder_unsent_at_the_start_is_skipped(db, smtp, make_appointment):
    """A dispatcher that was down: the 'day before' row found after the start is skipped, not sent."""
    appointment = make_appointment()
    book(appointment)
    with time_machine.travel(appointment.start_at + dt.timedelta(minutes=5), tick=False):
        counts = dispatch_once(worker_id="late")
    day_before = next(r for r in rows_of(db, appointment) if r.kind == "day_before")
    db.session.refresh(day_before)
    assert day_before.status == ReminderStatus.SKIPPED and counts.skipped == 3  # confirmation, week and day before
    assert smtp.recorder.row_ids() == []  # nothing at all reaches the patient after the start


def test_smtp_outage_backs_off_then_everything_is_delivered(db, app, make_appointment):
    """SMTP down: attempts grow and next_attempt_at moves out exponentially; back up: all delivered."""
    port = free_port()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, DISPATCH_BACKOFF_BASE_SECONDS=60,
                      DISPATCH_BACKOFF_CAP_SECONDS=3600)
    appointment = make_appointment()
    book(appointment)
    row = rows_of(db, appointment)[0]
    now = BOOKED_AT
    gaps = []
    try:
        for attempt in (1, 2, 3):
            counts = dispatch_once(worker_id="w", now=now)
            db.session.refresh(row)
            assert counts.retrying == 1 and row.status == ReminderStatus.RETRYING and row.attempts == attempt
            assert "Connection refused" in row.last_error or "Error" in row.last_error
            gaps.append(row.next_attempt_at - now)
            assert dispatch_once(worker_id="w", now=now).claimed == 0  # not due again before the backoff
            now = row.next_attempt_at
        assert gaps == [dt.timedelta(seconds=60), dt.timedelta(seconds=120), dt.timedelta(seconds=240)]
        server = SMTPServer(port=port).start()
        try:
            counts = dispatch_once(worker_id="w", now=now)
        finally:
            server.stop()
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=25)
    db.session.refresh(row)
    assert counts.sent == 1 and row.status == ReminderStatus.SENT and row.attempts == 4
    assert server.recorder.counts() == {row.id: 1}


def test_after_max_attempts_the_row_fails_and_an_admin_retry_requeues_it(db, app, make_appointment):
    """DISPATCH_MAX_ATTEMPTS failures make the row failed; retry puts it back, due now."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), DISPATCH_MAX_ATTEMPTS=2)
    appointment = make_appointment()
    book(appointment)
    row = rows_of(db, appointment)[0]
    try:
        dispatch_once(worker_id="w", now=BOOKED_AT)
        counts = dispatch_once(worker_id="w", now=BOOKED_AT + dt.timedelta(hours=1))
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=25, DISPATCH_MAX_ATTEMPTS=6)
    db.session.refresh(row)
    assert counts.failed == 1 and row.status == ReminderStatus.FAILED and row.attempts == 2
    retry_at = BOOKED_AT + dt.timedelta(hours=2)
    services.retry(row.id, now=retry_at)
    assert row.status == ReminderStatus.RETRYING and row.attempts == 0 and row.next_attempt_at == retry_at


def test_row_claimed_when_the_appointment_is_rescheduled_is_not_sent(db, smtp, make_appointment):
    """A replan between claim and send closes the claimed row: the dispatcher drops it unsent."""
    from clinic.reminders.dispatcher import Counts, claim, send_claimed

    appointment = make_appointment()
    book(appointment)
    ids = claim(10, "slow#1", BOOKED_AT + dt.timedelta(minutes=1))
    assert len(ids) == 1
    old_start = appointment.start_at
    for name in ("start_at", "end_at", "block_end_at"):
        setattr(appointment, name, getattr(appointment, name) + dt.timedelta(days=1))
    with time_machine.travel(BOOKED_AT + dt.timedelta(minutes=2), tick=False):
        signals.appointment_rescheduled.send(appointment, old_start_at=old_start, old_end_at=None)
    db.session.commit()  # the reschedule's own transaction
    counts = Counts()
    send_claimed(ids, "slow#1", BOOKED_AT + dt.timedelta(minutes=2), counts)
    assert counts.lost_claims == 1 and counts.sent == 0 and smtp.messages == []
    assert db.session.get(Reminder, ids[0]).status == ReminderStatus.CANCELLED
