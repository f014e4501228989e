"""The week view's data: free start times per local day of a site, from the availability engine."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from clinic.db import utcnow
from clinic.scheduling.availability import UnknownProcedure, find_slots
from clinic.sites.models import Site


@dataclass(frozen=True)
class WeekStart:
    label: str          # local wall-clock time, HH:MM
    value: str          # the instant with the site's offset, posted back when chosen
    physicians: int     # how many physicians are free then


@dataclass
class Week:
    monday: dt.date
    previous: dt.date
    next: dt.date
    days: list[tuple[dt.date, list[WeekStart]]]

    @property
    def empty(self) -> bool:
        return not any(starts for _, starts in self.days)


def week_of(site: Site, procedure_code: str, day: dt.date, physician_id: int | None = None,
            exclude_appointment_id: int | None = None) -> Week:
    """The Monday-to-Sunday week holding `day`, each day's free starts in local time."""
    if not dt.date(1900, 1, 8) <= day <= dt.date(9000, 1, 1):
        day = utcnow().astimezone(site.tz).date()   # nonsense typed or posted: the site's current week
    monday = day - dt.timedelta(days=day.weekday())
    try:
        slots = find_slots(site, procedure_code, monday, 7, physician_id,
                           exclude_appointment_id=exclude_appointment_id)
    except UnknownProcedure:
        slots = []
    tz = site.tz
    free: dict[dt.date, dict[dt.datetime, set[int]]] = defaultdict(lambda: defaultdict(set))
    for slot in slots:
        local = slot.start_at.astimezone(tz)
        free[local.date()][local].add(slot.physician_id)
    days = []
    for offset in range(7):
        current = monday + dt.timedelta(days=offset)
        starts = [WeekStart(t.strftime("%H:%M"), t.isoformat(), len(p)) for t, p in sorted(free[current].items())]
        if offset < 5 or starts:
            days.append((current, starts))
    return Week(monday, monday - dt.timedelta(days=7), monday + dt.timedelta(days=7), days)
