"""A dispatch pass over one SMTP connection: every row sent once and marked, a dropped connection
opened again, a refused recipient or a message lost in DATA failing only its own row."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from clinic.reminders.dispatcher import READ_AHEAD, dispatch_once
from clinic.reminders.models import Reminder, ReminderStatus

NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)  # before the appointments (10 June)


def due_rows(db, make_appointment, count: int) -> list[Reminder]:
    """`count` appointments (a patient each), each with a due 'day before' row."""
    rows = []
    for i in range(count):
        appointment = make_appointment(time=dt.time(8 + i % 9, 0))
        rows.append(Reminder(appointment_id=appointment.id, patient_id=appointment.patient_id,
                             site_id=appointment.site_id, kind="day_before", essential=True, language="en",
                             send_at=NOW, next_attempt_at=NOW, payload={"phase": "before", "anchor": "start"}))
    db.session.add_all(rows)
    db.session.commit()
    return rows


def statuses(db, rows) -> dict[int, ReminderStatus]:
    db.session.expire_all()
    found = db.session.execute(sa.select(Reminder.id, Reminder.status).where(Reminder.id.in_([r.id for r in rows])))
    return dict(found.all())


def test_a_pass_sends_every_row_over_one_connection(db, smtp, make_appointment):
    rows = due_rows(db, make_appointment, READ_AHEAD + 3)  # more than one read of rows
    counts = dispatch_once(worker_id="one", now=NOW)
    assert (counts.claimed, counts.sent) == (len(rows), len(rows))
    assert smtp.recorder.counts() == {r.id: 1 for r in rows}
    assert set(statuses(db, rows).values()) == {ReminderStatus.SENT}
    assert smtp.recorder.connections() == 1
    by_row = {int(m["X-Clinic-Reminder"]): m["Message-ID"] for m in smtp.messages}
    assert all(db.session.get(Reminder, r.id).message_id == by_row[r.id] for r in rows)


def test_a_connection_dropped_mid_pass_is_opened_again_nothing_lost_or_repeated(db, smtp, make_appointment):
    rows = due_rows(db, make_appointment, 6)
    smtp.recorder.close_after.update({2, 4})
    counts = dispatch_once(worker_id="drop", now=NOW)
    assert counts.sent == 6 and counts.retrying == 0
    assert smtp.recorder.counts() == {r.id: 1 for r in rows}
    assert set(statuses(db, rows).values()) == {ReminderStatus.SENT}
    assert smtp.recorder.connections() == 3


def test_a_refused_recipient_fails_only_its_row(db, smtp, make_appointment):
    rows = due_rows(db, make_appointment, 4)
    refused = rows[1]
    smtp.recorder.refuse.add(refused.patient.email)
    counts = dispatch_once(worker_id="refuse", now=NOW)
    assert (counts.sent, counts.retrying) == (3, 1)
    assert smtp.recorder.counts() == {r.id: 1 for r in rows if r is not refused}
    found = statuses(db, rows)
    assert found.pop(refused.id) == ReminderStatus.RETRYING
    assert set(found.values()) == {ReminderStatus.SENT}
    row = db.session.get(Reminder, refused.id)
    assert "550" in row.last_error and row.attempts == 1 and row.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert smtp.recorder.connections() == 1


def test_a_message_lost_during_data_is_retried_later_never_marked_sent(db, smtp, make_appointment):
    """The connection breaks once DATA has begun: that row goes to the backoff path, the pass goes
    on over a new connection, and the row is sent once when it is due again."""
    rows = due_rows(db, make_appointment, 4)
    smtp.recorder.lose.add(2)
    counts = dispatch_once(worker_id="lose", now=NOW)
    assert (counts.sent, counts.retrying) == (3, 1)
    lost = next(r for r in rows if r.id not in smtp.recorder.counts())
    assert statuses(db, [lost]) == {lost.id: ReminderStatus.RETRYING}
    assert "Disconnected" in db.session.get(Reminder, lost.id).last_error
    assert dispatch_once(worker_id="lose", now=NOW + dt.timedelta(seconds=59)).claimed == 0
    later = dispatch_once(worker_id="lose", now=NOW + dt.timedelta(seconds=60))
    assert later.sent == 1
    assert smtp.recorder.counts() == {r.id: 1 for r in rows}
    assert set(statuses(db, rows).values()) == {ReminderStatus.SENT}


def test_a_message_that_cannot_be_composed_fails_alone(db, smtp, make_appointment):
    """A row of a kind without a composer, amid others read with it: it goes to the backoff path with
    the composing error, the rows read after it are still sent."""
    rows = due_rows(db, make_appointment, 4)
    broken = rows[1]
    broken.kind = "no_such_kind"
    db.session.commit()
    counts = dispatch_once(worker_id="compose", now=NOW)
    assert (counts.sent, counts.retrying) == (3, 1)
    assert smtp.recorder.counts() == {r.id: 1 for r in rows if r is not broken}
    row = db.session.get(Reminder, broken.id)
    assert row.status == ReminderStatus.RETRYING and row.attempts == 1
    assert row.last_error.startswith("compose: LookupError")


def test_a_pass_reads_the_manage_links_once_per_read_of_rows_and_holds_each_row_in_one_statement(
        db, smtp, make_appointment):
    """Each message carries its own appointment's manage link, read with the other rows' links in
    one statement per read of rows; a row is held for its send in one statement (on PostgreSQL with
    its appointment), then marked in one: about two statements per message."""
    from clinic.portal.manage import ensure_link
    from tests.web import statements

    rows = due_rows(db, make_appointment, READ_AHEAD + 3)  # two reads of rows
    tokens = {row.id: ensure_link(row.appointment).token for row in rows}
    db.session.commit()
    with statements(db) as seen:
        counts = dispatch_once(worker_id="links", now=NOW)
    assert counts.sent == len(rows)
    for message in smtp.messages:
        text = message.get_body(("plain",)).get_content()
        assert f"/p/m/{tokens[int(message['X-Clinic-Reminder'])]}" in text
    reads = 2
    assert len([s for s in seen if "FROM manage_links" in s]) == reads
    if db.engine.dialect.name == "postgresql":
        holds = [s for s in seen if "FOR SHARE OF a FOR UPDATE OF r" in s]
    else:
        holds = [s for s in seen if s.startswith("SELECT id FROM reminders WHERE id =")]
    assert len(holds) == len(rows)
    # the claim (two), the rows and their links per read, a hold and a mark per message (the
    # savepoints are the test's: its commits are savepoints of a transaction rolled back at its end)
    work = [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]
    assert len(work) == 2 + 2 * reads + 2 * len(rows)
