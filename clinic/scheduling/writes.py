"""Writing an appointment so that no double booking is ever kept.

On PostgreSQL the exclusion constraints of migrations 0001 (physician, room) and 0010 (patient)
refuse an overlap (no overlap is read before writing: the constraint is the check); a violation
becomes 409 slot_unavailable or patient_busy, and a room or physician taken meanwhile is replaced
by another free one. On SQLite the database's write lock is
taken before re-checking for an overlap (writers queue). The locks taken first are in locks.py.
Writes flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError

from clinic import unit_of_work
from clinic.errors import Conflict
from clinic.extensions import db
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment
from clinic.sites.models import Site

RETRYABLE = ("40P01", "40001")  # deadlock detected, serialization failure
WRITE_ATTEMPTS = 6  # each retry follows a rival's commit; four rooms taken at once need five
WRITE_DEADLINE_SECONDS = 2.0  # no retry starts later than this after the first attempt
EXCLUSION_VIOLATION = "23P01"
PATIENT_CONSTRAINT = "ex_appointments_patient_id_overlap"

JUST_TAKEN = _l("This time was just taken.")


def patient_free(patient_id: int, start_at: dt.datetime, end_at: dt.datetime,
                 exclude_appointment_id: int | None = None, tz=None) -> None:
    """409 patient_busy when the patient has another active appointment overlapping [start, end)."""
    stmt = sa.select(Appointment.id).where(
        Appointment.patient_id == patient_id, Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.start_at < end_at, Appointment.end_at > start_at)
    if exclude_appointment_id is not None:
        stmt = stmt.where(Appointment.id != exclude_appointment_id)
    with db.session.no_autoflush:
        taken = db.session.execute(stmt.limit(1)).first()
    if taken is not None:
        raise _patient_busy(start_at, tz)


def _patient_busy(start_at: dt.datetime, tz) -> Conflict:
    return Conflict("patient_busy", _l("This patient already has an appointment at an overlapping time."),
                    {"start": start_at.astimezone(tz).isoformat() if tz else start_at.isoformat()})


def _is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def begin_write() -> None:
    """Call first in a request that books, moves or cancels: on SQLite, take the write lock now.

    A SQLite transaction that has read cannot safely upgrade to a writer while another writer
    commits (it fails at once instead of waiting). So the request's read-only transaction is
    ended and the lock is the first statement of the next one: writers then queue here.
    """
    if not _is_sqlite():
        return
    if not (db.session.new or db.session.dirty or db.session.deleted):
        unit_of_work.commit()
    table = Site.__table__
    # Matches no row, but an UPDATE takes the database's write lock all the same.
    db.session.execute(sa.update(table).where(sa.false()).values(id=table.c.id))


def _serialise_writes(site: Site) -> None:
    """On SQLite, hold the write lock (writers queue) before re-checking for an overlap."""
    if _is_sqlite():
        table = Site.__table__
        db.session.execute(sa.update(table).where(table.c.id == site.id).values(id=table.c.id))


def ensure_free(appt: Appointment, exclude_id: int | None, tz) -> None:
    """SQLite, under its write lock: 409 when the patient, the physician or the room is taken then.
    On PostgreSQL nothing is read: the exclusion constraints decide at the INSERT or UPDATE."""
    if not _is_sqlite():
        return
    patient_free(appt.patient_id, appt.start_at, appt.end_at, exclude_id, tz)
    stmt = sa.select(Appointment.id).where(
        Appointment.status.in_(ACTIVE_STATUSES), Appointment.start_at < appt.block_end_at,
        Appointment.block_end_at > appt.start_at,
        sa.or_(Appointment.physician_id == appt.physician_id, Appointment.room_id == appt.room_id),
    )
    if exclude_id is not None:
        stmt = stmt.where(Appointment.id != exclude_id)
    if db.session.execute(stmt.limit(1)).first() is not None:
        raise Conflict("slot_unavailable", JUST_TAKEN, {})


def _taken(err: IntegrityError, appt: Appointment, tz) -> Conflict | None:
    """The 409 an exclusion violation stands for (None: another integrity error, not ours to answer)."""
    if getattr(err.orig, "sqlstate", None) != EXCLUSION_VIOLATION:
        return None
    diag = getattr(err.orig, "diag", None)
    if getattr(diag, "constraint_name", None) == PATIENT_CONSTRAINT:
        return _patient_busy(appt.start_at, tz)
    return Conflict("slot_unavailable", JUST_TAKEN, {})


def write_guarded(appt: Appointment, site: Site, exclude_id: int | None, choose: Callable[[bool], None]) -> None:
    """Write the appointment; an overlap found by the database answers 409.

    On PostgreSQL, in a request's first run, the write goes without a savepoint (`_write_trusting`).
    Otherwise:

    Each attempt runs in its own savepoint, the change included: `choose(first)` sets the slot
    (the one already found on the first attempt, a slot chosen afresh on the others), so a failed
    attempt leaves the session clean for the next. When the room (or, none being asked for, the
    physician) chosen was taken by a booking that committed meanwhile, another free one is taken:
    a request is refused only when nothing is free, not because two requests picked the same first
    room. A patient found busy is final. No retry starts after WRITE_DEADLINE_SECONDS.
    """
    if not _is_sqlite() and unit_of_work.may_run_again():
        _write_trusting(appt, site, choose)
        return
    deadline = time.monotonic() + WRITE_DEADLINE_SECONDS
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        last = attempt == WRITE_ATTEMPTS or time.monotonic() > deadline
        try:
            with db.session.begin_nested():
                with db.session.no_autoflush:
                    _serialise_writes(site)
                    choose(attempt == 1)
                    ensure_free(appt, exclude_id, site.tz)
                db.session.add(appt)
                db.session.flush()
            return
        except Conflict as err:
            if last or err.code == "patient_busy":
                raise
        except IntegrityError as err:
            answer = _taken(err, appt, site.tz)
            if answer is None:
                raise
            if last or answer.code == "patient_busy":
                raise answer from None
        except OperationalError as err:
            # A deadlock the locks did not prevent (a physician at two sites at once): the aborted
            # attempt is rolled back to its savepoint and tried again, then refused as taken.
            if getattr(err.orig, "sqlstate", None) not in RETRYABLE:
                raise
            if last:
                raise Conflict("slot_unavailable", JUST_TAKEN, {}) from None


def _write_trusting(appt: Appointment, site: Site, choose: Callable[[bool], None]) -> None:
    """The first write of a request on PostgreSQL, with no savepoint around it: under the locks
    taken first (locks.py) no booking of the site's hours or of the patient can have written since
    the slot check, so the exclusion constraints refuse it only when a writer outside those locks
    did (the same physician booked at another site at that moment). Then the transaction is lost
    with the write: a busy patient is refused at once (409); a physician or room taken, or a
    deadlock with such a writer, runs the request again from its start (unit_of_work.RunAgain),
    where its slot is chosen afresh with the rival's row in view and its write is guarded."""
    tz = site.tz    # read now: once the flush fails, nothing more can be loaded in this transaction
    try:
        with db.session.no_autoflush:
            choose(True)
        db.session.add(appt)
        db.session.flush()
    except IntegrityError as err:
        answer = _taken(err, appt, tz)
        if answer is None:
            raise
        db.session.rollback()
        if answer.code == "patient_busy":
            raise answer from None
        raise unit_of_work.RunAgain() from err
    except OperationalError as err:
        if getattr(err.orig, "sqlstate", None) not in RETRYABLE:
            raise
        db.session.rollback()
        raise unit_of_work.RunAgain() from err
