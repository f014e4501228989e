"""The admin outbox: reminders by status, site and local date; retry of failed ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from clinic.audit.services import record, record_shown
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError
from clinic.extensions import db
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.sites.models import Site
from clinic.tenancy import get_scoped, scoped
from clinic.timeutil import local_day_bounds

PER_PAGE = 50


@dataclass(frozen=True)
class OutboxFilter:
    status: str | None = None
    site_id: int | None = None
    day: dt.date | None = None


def _day_condition(day: dt.date, sites: list[Site]):
    """Rows due on that date on their own site's clock."""
    parts = []
    for site in sites:
        start, end = local_day_bounds(day, site.tz)
        parts.append(sa.and_(Reminder.site_id == site.id, Reminder.send_at >= start, Reminder.send_at < end))
    return sa.or_(*parts) if parts else sa.false()


def list_outbox(flt: OutboxFilter, page: int = 1) -> tuple[list[Reminder], int, dict[str, int]]:
    """One page of rows (newest due first), the total, and counts per status for the filters."""
    query = scoped(Reminder)
    if flt.site_id:
        query = query.where(Reminder.site_id == flt.site_id)
    if flt.day:
        sites = db.session.execute(
            sa.select(Site).where(Site.id == flt.site_id) if flt.site_id else sa.select(Site)).scalars().all()
        query = query.where(_day_condition(flt.day, list(sites)))
    by_status = dict(db.session.execute(
        query.with_only_columns(Reminder.status, sa.func.count(Reminder.id)).group_by(Reminder.status)).tuples().all())
    if flt.status:
        query = query.where(Reminder.status == ReminderStatus(flt.status))
    total = db.session.execute(query.with_only_columns(sa.func.count(Reminder.id))).scalar_one()
    rows = db.session.execute(
        query.options(joinedload(Reminder.patient), joinedload(Reminder.site))
        .order_by(Reminder.send_at.desc(), Reminder.id.desc())
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)
    ).scalars().all()
    record_shown("outbox.list", [(r.patient_id, r.appointment_id) for r in rows],
                 {"status": flt.status, "site_id": flt.site_id, "day": flt.day.isoformat() if flt.day else None,
                  "page": page, "reminders": [r.id for r in rows]})
    return list(rows), total, {str(k.value if hasattr(k, "value") else k): v for k, v in by_status.items()}


def get_reminder(reminder_id: int) -> Reminder:
    row = get_scoped(Reminder, reminder_id)
    if row is None:
        raise DomainError("not_found", "No such reminder.", status=404)
    return row


def retry(reminder_id: int, now: dt.datetime | None = None) -> Reminder:
    """Put a failed row back in the queue, due now, with a fresh attempt count."""
    row = get_reminder(reminder_id)
    if row.status != ReminderStatus.FAILED:
        raise Conflict("invalid_state", _l("Only a failed reminder can be retried."), {"status": row.status.value})
    row.status = ReminderStatus.RETRYING
    row.attempts = 0
    row.next_attempt_at = now or utcnow()
    row.claimed_by = row.claimed_at = None
    db.session.flush()
    record("reminder.retry", "reminder", row.id, row.patient_id, {"kind": row.kind, "last_error": row.last_error})
    return row
