"""Reminder delivery health: how many reminders were sent, are pending, retrying or failed,
per local day of their send_at (the site's zone) and per site."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from clinic.audit.services import record
from clinic.extensions import db
from clinic.outcomes.services import _utc_window
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.sites.models import Site

# The columns of the view and the statuses each one counts (cancelled and skipped are not shown).
BUCKETS: dict[str, tuple[ReminderStatus, ...]] = {
    "sent": (ReminderStatus.SENT,),
    "pending": (ReminderStatus.PLANNED, ReminderStatus.SENDING),
    "retrying": (ReminderStatus.RETRYING,),
    "failed": (ReminderStatus.FAILED,),
}
_BUCKET_OF = {status: name for name, statuses in BUCKETS.items() for status in statuses}


@dataclass
class DeliveryRow:
    day: dt.date
    site_id: int
    site: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class DeliveryHealth:
    date_from: dt.date
    date_to: dt.date
    rows: list[DeliveryRow]
    per_day: dict[dt.date, dict[str, int]]
    totals: dict[str, int]


def delivery_health(date_from: dt.date, date_to: dt.date, site_id: int | None = None) -> DeliveryHealth:
    """Counts per (local day, site), per day over the sites, and over the period."""
    start, end = _utc_window(date_from, date_to)
    query = (
        sa.select(Reminder.send_at, Reminder.status, Site.id, Site.name, Site.timezone)
        .join(Site, Site.id == Reminder.site_id)
        .where(Reminder.send_at >= start, Reminder.send_at < end)
        .where(Reminder.status.in_(list(_BUCKET_OF)))
    )
    if site_id is not None:
        query = query.where(Reminder.site_id == site_id)
    rows: dict[tuple[dt.date, int], DeliveryRow] = {}
    for send_at, status, sid, name, tz in db.session.execute(query):
        day = send_at.astimezone(ZoneInfo(tz)).date()
        if not date_from <= day <= date_to:
            continue
        row = rows.setdefault((day, sid), DeliveryRow(day, sid, name))
        row.counts[_BUCKET_OF[ReminderStatus(status)]] += 1
    ordered = sorted(rows.values(), key=lambda r: (r.day, r.site))
    per_day: dict[dt.date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    totals = dict.fromkeys(BUCKETS, 0)
    for row in ordered:
        for name, count in row.counts.items():
            per_day[row.day][name] += count
            totals[name] += count
    record("outcomes.delivery.view", "delivery_health",
           details={"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "site_id": site_id})
    return DeliveryHealth(date_from, date_to, ordered, dict(per_day), totals)
