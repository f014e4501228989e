"""What a merge of two patient records asks of the schedule (clinic.patients.merge): the active
appointments of the two that overlap (a patient is never in two places), and the medicine holds
the duplicate's active appointments carry."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from clinic.extensions import db
from clinic.patients.merge import MergeGuard
from clinic.scheduling.locks import lock_patients
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment


def overlaps(kept_id: int, duplicate_id: int) -> list[tuple[Appointment, Appointment]]:
    """Pairs (kept's, duplicate's) of active appointments whose [start, end) overlap, by start."""
    a, b = aliased(Appointment), aliased(Appointment)
    stmt = (sa.select(a, b).where(a.patient_id == kept_id, b.patient_id == duplicate_id,
                                  a.status.in_(ACTIVE_STATUSES), b.status.in_(ACTIVE_STATUSES),
                                  a.start_at < b.end_at, b.start_at < a.end_at)
            .order_by(a.start_at, b.start_at))
    return [(x, y) for x, y in db.session.execute(stmt).tuples()]


def holds(patient_id: int) -> int:
    """How many medicine holds the patient's active appointments carry (as stored at booking)."""
    rows = db.session.scalars(sa.select(Appointment.medication_holds).where(
        Appointment.patient_id == patient_id, Appointment.status.in_(ACTIVE_STATUSES)))
    return sum(len(h or ()) for h in rows)


def lock(kept_id: int, duplicate_id: int) -> None:
    """Bookings of either patient wait until the merge commits (then book for the kept record)."""
    lock_patients([kept_id, duplicate_id])


GUARD = MergeGuard(overlaps=overlaps, holds=holds, lock=lock)
