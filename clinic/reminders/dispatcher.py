"""The dispatcher: claim due outbox rows in a short transaction, send each outside of it, mark it.

A claim is a status change to `sending` with a claim marker (worker id plus a per-pass nonce) and
a time. PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED then UPDATE, so concurrent dispatchers take
disjoint rows. SQLite: one atomic UPDATE ... WHERE id IN (...) AND <still due>, then a re-read of
the rows carrying this pass's marker. Every later write is guarded by the marker, so a dispatcher
whose claim was taken back after the claim timeout cannot overwrite the new owner's outcome.

A pass sends its rows over one SMTP session (clinic.mail.transport.session: one connection, opened
again when the relay drops it) and marks each row `sent` in its own commit as soon as the relay has
accepted it: a message is repeated only if the process dies between that acceptance and that
commit (or if the connection is lost after DATA began: the message is then retried). A failed
message goes to the retry and backoff path alone; the others of the pass go on. Rows of another
channel (text messages) are composed and sent through the channel registered for them
(clinic/reminders/channels.py), one session of each per pass.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from email.utils import make_msgid
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from clinic.catalog.neutral import late_after
from clinic.db import utcnow
from clinic.extensions import db
from clinic.links import manage as links
from clinic.mail import composers, transport
from clinic.reminders.channels import CHANNELS, channel
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.reminders.planner import texts_patient
from clinic.reminders.schedule import in_quiet_hours, out_of_quiet_hours, rules
from clinic.scheduling.models import AppointmentStatus
from clinic.unit_of_work import unit_of_work

log = logging.getLogger(__name__)
ROW_HEADER = "X-Clinic-Reminder"
DUE_STATUSES = ("planned", "retrying")
# Claimed rows are read (with their appointment, patient and site) and composed this many at a
# time, just before they are sent. A row closed meanwhile (a replan, a cancellation) is never sent:
# the hold before each hand-over checks it under its appointment's lock. What the read ahead bounds
# is how old a message's text may be when it leaves: these few messages' sending time (about a
# tenth of a second). Ten at a time, the read cost a dispatcher 0.25 ms a message; 25, 0.15 ms.
READ_AHEAD = 25


@dataclass
class Counts:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    lost_claims: int = 0
    deferred: int = 0  # text messages found due in the site's quiet hours: put back until they end
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "errors"}


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _due_condition(now: dt.datetime, stale_before: dt.datetime):
    t = Reminder.__table__.c
    return sa.or_(
        sa.and_(t.status.in_(DUE_STATUSES), t.next_attempt_at <= now),
        sa.and_(t.status == "sending", t.claimed_at < stale_before),
    )


def claim(batch_size: int, marker: str, now: dt.datetime) -> list[int]:
    """Claim up to batch_size due rows for this pass, commit the claim, return their ids."""
    t = Reminder.__table__.c
    stale = now - dt.timedelta(seconds=current_app.config["DISPATCH_CLAIM_TIMEOUT_SECONDS"])
    due = _due_condition(now, stale)
    pick = sa.select(t.id).where(due).order_by(t.next_attempt_at, t.id).limit(batch_size)
    values = {"status": "sending", "claimed_by": marker, "claimed_at": now}
    with unit_of_work() as session:
        if db.engine.dialect.name == "postgresql":
            ids = list(session.execute(pick.with_for_update(skip_locked=True)).scalars())
            if ids:
                session.execute(sa.update(Reminder.__table__).where(t.id.in_(ids)).values(**values))
        else:
            session.execute(sa.update(Reminder.__table__)
                            .where(t.id.in_(pick.scalar_subquery()), due).values(**values))
            ids = []
    if db.engine.dialect.name != "postgresql":
        with unit_of_work() as session:
            ids = list(session.execute(
                sa.select(t.id).where(t.claimed_by == marker, t.status == "sending").order_by(t.id)).scalars())
    return ids


@cache
def _guarded_statement(columns: tuple[str, ...]) -> sa.Update:
    """UPDATE of these columns where the row is still `sending` under the given claim marker, built
    once per set of columns (building the statement cost more than running it, once per message)."""
    t = Reminder.__table__.c
    return (sa.update(Reminder.__table__)
            .where(t.id == sa.bindparam("row_id"), t.claimed_by == sa.bindparam("marker"), t.status == "sending")
            .values({name: sa.bindparam(f"new_{name}") for name in columns}))


def _guarded_update(row_id: int, marker: str, **values) -> bool:
    params = {"row_id": row_id, "marker": marker, **{f"new_{name}": value for name, value in values.items()}}
    with unit_of_work():
        # An UPDATE's result is a CursorResult (it has a rowcount); the stubs type execute() as a plain Result.
        result = cast(sa.CursorResult[Any], db.session.execute(_guarded_statement(tuple(values)), params))
    return result.rowcount == 1


def backoff(attempts: int) -> dt.timedelta:
    """Exponential: base, 2*base, 4*base ... capped (seconds from config)."""
    base = current_app.config.get("DISPATCH_BACKOFF_BASE_SECONDS", 60)
    cap = current_app.config.get("DISPATCH_BACKOFF_CAP_SECONDS", 3600)
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _after_start(kind: str) -> bool:
    """A notice that speaks of the start having passed (the no-show's re-arrange message); every
    other notice, the confirmation included, is never sent once the procedure has started."""
    found = rules().get(kind)
    return found is not None and found.after_start


def _verdict(row: Reminder, now: dt.datetime) -> tuple[ReminderStatus, str] | None:
    """Why a claimed row must not be sent now (status and reason), or None to send it."""
    appointment = row.appointment
    phase = (row.payload or {}).get("phase")
    if appointment is not None:
        if appointment.status == AppointmentStatus.CANCELLED and row.kind != "cancellation":
            return ReminderStatus.CANCELLED, "appointment cancelled"
        if phase in ("before", "notice") and now >= appointment.start_at and not _after_start(row.kind):
            return ReminderStatus.SKIPPED, "unsent at the procedure's start"
        if phase == "after" and now - row.send_at > late_after():
            return ReminderStatus.SKIPPED, "out of date: its advice is for a day that has passed"
        if phase == "after" and appointment.status == AppointmentStatus.NO_SHOW:
            return ReminderStatus.SKIPPED, "no-show"
    if not row.essential and row.patient.non_essential_opt_out:
        return ReminderStatus.SKIPPED, "patient stopped non-essential messages"
    if row.channel == "sms" and not texts_patient(row.patient):
        return ReminderStatus.CANCELLED, "patient stopped text messages"
    return None


def _load(row_ids: list[int], marker: str) -> dict[int, Reminder]:
    """The rows still claimed by this pass, with their appointment, patient and site, in one query."""
    rows = db.session.execute(
        sa.select(Reminder)
        .where(Reminder.id.in_(row_ids), Reminder.claimed_by == marker, Reminder.status == ReminderStatus.SENDING)
        .options(joinedload(Reminder.appointment), joinedload(Reminder.patient), joinedload(Reminder.site))
        .execution_options(populate_existing=True)).scalars()
    return {row.id: row for row in rows}


def _compose(row: Reminder, domain: str) -> Any:
    if row.channel != "email":
        return channel(row.channel).compose(row)
    msg = composers.compose(row)
    msg[ROW_HEADER] = str(row.id)
    if msg.get("Message-ID"):
        del msg["Message-ID"]
    msg["Message-ID"] = make_msgid(idstring=f"r{row.id}.{row.attempts}", domain=domain)
    return msg


@dataclass
class Prepared:
    """A claimed row, read and composed: a message to send, or why not."""
    row_id: int
    attempts: int = 0
    channel: str = "email"
    message: Any = None  # an EmailMessage, or the message of the row's channel
    verdict: tuple[ReminderStatus, str] | None = None  # close the row unsent (status, reason)
    error: Exception | None = None  # composing failed: a failed attempt
    lost: bool = False  # the claim is gone: cancelled by a replan meanwhile, or taken back after a timeout
    defer_to: dt.datetime | None = None  # a text due in the site's quiet hours: not before their end
    appointment_id: int | None = None  # as the row was read: a row never changes appointment


def _quiet_end(row: Reminder, now: dt.datetime) -> dt.datetime | None:
    """The end of the site's quiet hours when a text message falls due inside them (a dispatcher back
    from an outage at night, a retry after a late failure), else None. E-mails were planned outside
    them; a text would wake the patient."""
    site = row.site
    if row.channel != "sms" or not in_quiet_hours(now.astimezone(site.tz), site.quiet_start or dt.time(21),
                                                  site.quiet_end or dt.time(8)):
        return None
    return out_of_quiet_hours(now, site.tz, site.quiet_start, site.quiet_end)


def _prepare(row_ids: list[int], marker: str, now: dt.datetime) -> list[Prepared]:
    """Read the rows and compose their messages in one short read, ended before any network I/O."""
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ") or "clinic.local"
    out = []
    try:
        rows = _load(row_ids, marker)
        # the rows' manage links: one read for the batch, in this transaction
        with links.read_ahead({row.appointment_id for row in rows.values() if row.appointment_id is not None}):
            for row_id in row_ids:
                row = rows.get(row_id)
                if row is None:
                    out.append(Prepared(row_id, lost=True))
                    continue
                item = Prepared(row_id, row.attempts, row.channel, verdict=_verdict(row, now),
                                appointment_id=row.appointment_id)
                if item.verdict is None:
                    item.defer_to = _quiet_end(row, now)
                if item.verdict is None and item.defer_to is None:
                    try:
                        item.message = _compose(row, domain)
                    except Exception as err:  # a composing error is a failed attempt, never a crashed pass
                        log.exception("reminder %s could not be composed", row_id)
                        item.error = err
                        db.session.rollback()  # a failed lazy read must not spoil the next rows' reads
                out.append(item)
    finally:
        db.session.rollback()  # release the read transaction (SQLite: its shared lock)
    return out


def _fail(row_id: int, attempts: int, marker: str, error: str, now: dt.datetime, counts: Counts,
          final: bool = False) -> None:
    """A failed attempt: retried with backoff, or `failed` after the last attempt (or at once when final)."""
    attempts += 1
    if final or attempts >= current_app.config["DISPATCH_MAX_ATTEMPTS"]:
        status, next_at = "failed", now
        counts.failed += 1
    else:
        status, next_at = "retrying", now + backoff(attempts)
        counts.retrying += 1
    counts.errors.append(error)
    _guarded_update(row_id, marker, status=status, attempts=attempts, next_attempt_at=next_at,
                    last_error=error[:2000])


# The row is still this pass's (SQLite), and held FOR UPDATE (PostgreSQL); with its appointment held
# FOR SHARE in the same statement, the appointment first (as a cancel or reschedule takes it, FOR
# UPDATE, before the appointment's reminders). A row whose claim went meanwhile is not returned:
# PostgreSQL checks a locked row's conditions again on its newest version.
STILL_CLAIMED = sa.text("SELECT id FROM reminders WHERE id = :row_id AND claimed_by = :marker AND status = 'sending'")
HOLD = sa.text(f"{STILL_CLAIMED.text} FOR UPDATE")
HOLD_WITH_APPOINTMENT = sa.text(
    "SELECT r.id FROM appointments a JOIN reminders r ON r.appointment_id = a.id WHERE a.id = :appointment_id "
    "AND r.id = :row_id AND r.claimed_by = :marker AND r.status = 'sending' FOR SHARE OF a FOR UPDATE OF r")


def _hold_for_send(row_id: int, appointment_id: int | None, marker: str) -> bool:
    """Re-check the row just before the hand-over, holding its appointment: False if it was closed.

    PostgreSQL: the appointment's row is held FOR SHARE (a cancel or reschedule takes it FOR UPDATE)
    and the reminder's FOR UPDATE, from this check until the one-row commit after the mail server's
    answer, so the message goes out before a change of its appointment commits, or not at all.
    SQLite (one writer at a time): the same re-check, without holding a read across the send."""
    postgres = db.engine.dialect.name == "postgresql"
    params = {"row_id": row_id, "marker": marker}
    if postgres and appointment_id is not None:
        statement, params["appointment_id"] = HOLD_WITH_APPOINTMENT, appointment_id
    else:
        statement = HOLD if postgres else STILL_CLAIMED
    held = db.session.execute(statement, params).first() is not None
    if not held or not postgres:
        db.session.rollback()
    return held


def _deliver(item: Prepared, marker: str, now: dt.datetime, counts: Counts, senders: dict[str, Any]) -> None:
    """Send one message and mark its row at once: the only window in which a crash can repeat a
    message is between the server's acceptance and this one-row commit."""
    row_id = item.row_id
    if not _hold_for_send(row_id, item.appointment_id, marker):
        counts.lost_claims += 1
        return
    try:
        message_id = senders[item.channel].send(item.message)
    except transport.TransportError as err:
        _fail(row_id, item.attempts, marker, str(err), now, counts, final=isinstance(err, transport.Refused))
        return
    except BaseException:
        db.session.rollback()
        raise
    if _guarded_update(row_id, marker, status="sent", sent_at=utcnow(), message_id=message_id[:255],
                       attempts=item.attempts + 1, last_error=None):
        counts.sent += 1
    else:
        counts.lost_claims += 1
        log.warning("reminder %s was sent but meanwhile its claim was taken back or the row closed", row_id)


def send_claimed(row_ids: list[int], marker: str, now: dt.datetime, counts: Counts) -> None:
    """Send the rows this pass claimed over one mail session (and one of each other channel), READ_AHEAD rows
    read at a time."""
    with ExitStack() as stack:
        senders = {"email": stack.enter_context(transport.session())}
        senders.update({name: stack.enter_context(ch.session()) for name, ch in CHANNELS.items()})
        for start in range(0, len(row_ids), READ_AHEAD):
            for item in _prepare(row_ids[start:start + READ_AHEAD], marker, now):
                if item.lost:
                    counts.lost_claims += 1
                elif item.error is not None:
                    _fail(item.row_id, item.attempts, marker, f"compose: {type(item.error).__name__}: {item.error}",
                          now, counts)
                elif item.verdict is not None:
                    status, reason = item.verdict
                    if _guarded_update(item.row_id, marker, status=status.value, last_error=reason):
                        setattr(counts, status.value, getattr(counts, status.value) + 1)
                elif item.defer_to is not None:  # planned again (the never-late rule is checked then)
                    if _guarded_update(item.row_id, marker, status="retrying" if item.attempts else "planned",
                                       next_attempt_at=item.defer_to):
                        counts.deferred += 1
                else:
                    _deliver(item, marker, now, counts, senders)


def dispatch_once(batch_size: int | None = None, worker_id: str | None = None,
                  now: dt.datetime | None = None) -> Counts:
    """One pass: claim a batch of due rows, send each, mark each. Returns the counts."""
    batch_size = batch_size or current_app.config["DISPATCH_BATCH_SIZE"]
    marker = f"{(worker_id or default_worker_id())[:60]}#{uuid.uuid4().hex[:12]}"
    now = now or utcnow()
    counts = Counts()
    ids = claim(batch_size, marker, now)
    counts.claimed = len(ids)
    if ids:
        send_claimed(ids, marker, now, counts)
    return counts


def dispatch_until_empty(batch_size: int | None = None, worker_id: str | None = None,
                         max_passes: int = 10_000) -> Counts:
    """Passes until a pass claims nothing (operators, tests)."""
    total = Counts()
    for _ in range(max_passes):
        counts = dispatch_once(batch_size, worker_id)
        for key, value in counts.as_dict().items():
            setattr(total, key, getattr(total, key) + value)
        if counts.claimed == 0 or counts.claimed == counts.retrying + counts.failed + counts.deferred:
            break
    return total
