"""The locks writers of the schedule take, always in one order, so that they queue instead of deadlocking.

1. The appointment's own row, when one is changed (reschedule, cancel, status): FOR UPDATE on
   PostgreSQL, with a version check that answers 409 conflict_retry when another change of it
   committed after this request read it. The dispatcher holds the same row FOR SHARE while it
   hands a message of the appointment to the mail server, so a message goes out either before a
   change commits or not at all.
2. Transaction-level advisory locks, in ascending key order: one per site and hour that the block
   written touches (whichever physician and room are chosen, even anew on a retry: the start and
   length stay), one per patient (a patient is never in two places, across sites too). Two blocks
   that overlap touch a common hour, so writers that could collide queue before choosing their
   slot, and the exclusion constraints never wait on each other; writers of other hours go on.

SQLite has one writer at a time (writes.begin_write); the version check still applies.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError

from clinic.errors import Conflict
from clinic.extensions import db
from clinic.scheduling import stamps
from clinic.scheduling.models import Appointment
from clinic.scheduling.writes import begin_write

LOCK_WAIT = "10s"  # the longest a writer queues for the hours it writes before answering 409
LOCK_NOT_AVAILABLE = "55P03"
_SITE_HOUR, _PATIENT = 1, 2


class ConcurrentChange(Conflict):
    """Another change of this appointment won: 409 conflict_retry with the appointment as it stands."""

    def __init__(self, appointment: Appointment):
        super().__init__("conflict_retry", "This appointment was changed meanwhile; look at it again and retry.",
                         {"status": appointment.status.value})
        self.appointment = appointment


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def lock_appointment(appt: Appointment) -> None:
    """Hold the appointment's row for this transaction; 409 conflict_retry if it changed since read."""
    table = Appointment.__table__
    stmt = sa.select(table.c.version).where(table.c.id == appt.id)
    if _postgres():
        stmt = stmt.with_for_update()
    with db.session.no_autoflush:
        version = db.session.execute(stmt).scalar_one()
    if version != appt.version:
        db.session.refresh(appt)
        raise ConcurrentChange(appt)


def schedule_keys(site_id: int, start: dt.datetime, end: dt.datetime, patient_id: int | None) -> list[int]:
    """The advisory lock keys (63-bit) of a write of the block [start, end): its site's hours, its patient."""
    first, last = int(start.timestamp() // 3600), int((end.timestamp() - 1) // 3600)
    keys = {(_SITE_HOUR << 56) | (site_id << 32) | (hour & 0xFFFFFFFF) for hour in range(first, max(first, last) + 1)}
    if patient_id is not None:
        keys.add((_PATIENT << 56) | patient_id)
    return sorted(keys)


# One statement sets the wait, takes every key and sets the wait back. Inside out: the FROM clause
# sets the wait (it is read in full before the sort); PostgreSQL evaluates a select list's volatile
# functions after ORDER BY, so the keys are locked in ascending order; the count holds its row until
# the last lock is taken, and only then does the outer select list set the wait back to the
# session's own value (what SET LOCAL ... DEFAULT gives). The site's reference stamp comes back
# with it (as of the statement's start, as a statement of its own just before would read it), so
# the slot check that follows does not read it again (clinic.scheduling.stamps.note).
LOCK_STATEMENT = sa.text(
    "SELECT set_config('lock_timeout', setting.reset_val, true), "
    "(SELECT reference_version FROM schedule_stamps WHERE site_id = :site) FROM ("
    "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k, "
    "set_config('lock_timeout', :wait, true) AS wait ORDER BY k) AS locks) AS taken, "
    "pg_settings AS setting WHERE setting.name = 'lock_timeout'")


def lock_schedule(site_id: int, start: dt.datetime, end: dt.datetime, patient_id: int | None) -> None:
    """Take the write's advisory locks in key order (PostgreSQL; SQLite writers are already one at a time).

    A writer that waits longer than LOCK_WAIT answers 409 conflict_retry rather than queueing on."""
    if not _postgres():
        return
    session = db.session
    try:
        _, reference = session.execute(LOCK_STATEMENT, {"keys": schedule_keys(site_id, start, end, patient_id),
                                                        "wait": LOCK_WAIT, "site": site_id}).one()
    except OperationalError as err:
        if getattr(err.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        session.rollback()
        raise Conflict("conflict_retry", _l("Too many changes to this schedule at once; please try again."),
                       {}) from None
    stamps.note(session, site_id, reference=reference or 0)


def lock_patients(patient_ids: list[int]) -> None:
    """Hold the patients' schedules for this transaction (a merge of their records), in the writers'
    order: their appointments' rows first, then each patient's advisory lock, in ascending order.
    Bookings of either patient queue behind it. On SQLite, the database's write lock."""
    if not _postgres():
        begin_write()
        return
    ids = sorted(set(patient_ids))
    table = Appointment.__table__
    with db.session.no_autoflush:
        db.session.execute(sa.select(table.c.id).where(table.c.patient_id.in_(ids))
                           .order_by(table.c.id).with_for_update())
        for patient_id in ids:
            db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": (_PATIENT << 56) | patient_id})
