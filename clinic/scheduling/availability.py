"""The availability engine: free (physician, room) slots for a procedure at a site. No Flask here.

Everything is loaded for the whole date range in a fixed number of queries, then computed in
Python: the appointments at each search, and the site's reference data (physicians, working hours,
time off, calendar exceptions, rooms) once per reference stamp (clinic.scheduling.reference). Working
hours and closures are local wall-clock times at the site; each local day is turned into UTC
instants with the site's zone, so days on which the clocks change are handled per country.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa

from clinic.catalog import Procedure, get_procedure
from clinic.db import utcnow
from clinic.extensions import db
from clinic.scheduling.intervals import Busy, arange, free_of, taken_ranges
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment
from clinic.scheduling.reference import Closure, Hours, site_reference
from clinic.sites.holidays import public_holiday
from clinic.sites.models import CalendarExceptionKind, Site
from clinic.timeutil import local_day_bounds, local_to_utc

Interval = tuple[dt.datetime, dt.datetime]


class UnknownProcedure(ValueError):
    """The procedure code is not in the catalog."""


@dataclass(frozen=True, order=True)
class Slot:
    start_at: dt.datetime       # UTC, aware
    end_at: dt.datetime         # UTC, aware: end of the procedure (turnover not included)
    physician_id: int
    room_id: int


def _seconds(interval: Interval) -> tuple[float, float]:
    return interval[0].timestamp(), interval[1].timestamp()


@dataclass
class _Data:
    physicians: list[int]
    hours: dict[int, tuple[Hours, ...]]
    derived: dict
    busy_physician: dict[int, Busy]
    busy_room: dict[int, Busy]
    rooms: list[int]
    exceptions: dict[dt.date, list[Closure]]
    time_off: dict[int, Busy]


def _epoch(column: sa.ColumnExpressionArgument[dt.datetime]) -> sa.ColumnElement[float]:
    """POSIX seconds of a timestamp column, computed by PostgreSQL: a float8 reads much faster
    than a timestamp with its time zone, and a 60-day search reads a thousand rows or more."""
    return sa.cast(sa.extract("epoch", column), sa.Float(precision=53))


def _load(site: Site, procedure: Procedure, first: dt.date, last: dt.date, window: Interval,
          physician_id: int | None, exclude_appointment_id: int | None) -> _Data:
    ref = site_reference(site)
    physicians = [p for p in ref.physicians if physician_id is None or p == physician_id]
    hours = {p: tuple(h for h in ref.hours.get(p, ())
                      if h.valid_from <= last and (h.valid_until is None or h.valid_until >= first))
             for p in physicians}
    low, high = window[0].timestamp(), window[1].timestamp()
    busy: dict[int, list[tuple[float, float]]] = defaultdict(list)
    away: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for p in physicians:
        for start, end in ref.time_off.get(p, ()):
            if start < high and end > low:
                busy[p].append((start, end))
                away[p].append((start, end))
    rooms = [r.id for r in ref.rooms if any(m in r.modalities for m in procedure.imaging)]

    room_busy: dict[int, list[tuple[float, float]]] = defaultdict(list)
    on_postgres = db.session.get_bind().dialect.name == "postgresql"
    appt_stmt = sa.select(Appointment.physician_id, Appointment.room_id,
                          *(_epoch(c) if on_postgres else c for c in (Appointment.start_at, Appointment.block_end_at))
                          ).where(
        Appointment.status.in_(ACTIVE_STATUSES), Appointment.start_at < window[1],
        Appointment.block_end_at > window[0],
        sa.or_(Appointment.physician_id.in_(physicians), Appointment.room_id.in_(rooms)),
    )
    if exclude_appointment_id is not None:
        appt_stmt = appt_stmt.where(Appointment.id != exclude_appointment_id)
    for phys, room, start, end in db.session.execute(appt_stmt):
        seconds = (start, end) if on_postgres else (start.timestamp(), end.timestamp())
        busy[phys].append(seconds)
        room_busy[room].append(seconds)

    exceptions = {day: list(found) for day, found in ref.closures.items() if first <= day <= last}

    return _Data(physicians, hours, ref.derived, {p: Busy(busy[p]) for p in physicians},
                 {r: Busy(room_busy[r]) for r in rooms}, rooms, exceptions, {p: Busy(away[p]) for p in physicians})


def _day_closures(site: Site, day: dt.date, exceptions: list[Closure]) -> list[Interval] | None:
    """The closed intervals of a local day (UTC), or None when the whole day is closed."""
    tz = site.tz
    opens = [e for e in exceptions if e.kind == CalendarExceptionKind.OPEN]
    closed: list[Interval] = []
    if public_holiday(site, day) and not opens:
        return None
    for exc in exceptions:
        if exc.kind != CalendarExceptionKind.CLOSED:
            continue
        hours = exc.hours
        if hours is None:
            return None
        closed.append((local_to_utc(day, hours[0], tz), local_to_utc(day, hours[1], tz)))
    if public_holiday(site, day):
        # Open on a holiday: only within the opening's hours when it gives some.
        timed = [h for h in (e.hours for e in opens) if h is not None]
        if timed and len(timed) == len(opens):
            start, end = local_day_bounds(day, tz)
            cursor = start
            for opening, closing in sorted(timed, key=lambda h: h[0]):
                closed.append((cursor, local_to_utc(day, opening, tz)))
                cursor = local_to_utc(day, closing, tz)
            closed.append((cursor, end))
    return closed


def _valid_on(row: Hours, day: dt.date) -> bool:
    return row.weekday == day.weekday() and row.valid_from <= day and (row.valid_until is None or day <= row.valid_until)


class FreeStart(NamedTuple):
    """One start time and who can take it: (physician, free suitable rooms) pairs in physician order.

    A named tuple of POSIX seconds, as thousands are made per search: cheaper to build than a
    frozen dataclass of datetimes, and an answer that writes them formats seconds (start_at and
    end_at give the aware UTC datetimes).
    """
    start: float                # POSIX seconds
    end: float                  # POSIX seconds: end of the procedure (turnover not included)
    pairs: tuple[tuple[int, tuple[int, ...]], ...]

    @property
    def start_at(self) -> dt.datetime:
        return _utc(self.start)

    @property
    def end_at(self) -> dt.datetime:
        return _utc(self.end)


def free_starts(site: Site, procedure_code: str, start_date: dt.date, days: int = 1,
                physician_id: int | None = None, now: dt.datetime | None = None, *,
                exclude_appointment_id: int | None = None, only_at: dt.datetime | None = None) -> list[FreeStart]:
    """Free start times over `days` local days from `start_date`, in time order.

    The loops run on POSIX seconds (float comparisons, not aware datetimes), each start's free
    rooms are found once whatever the number of physicians, and the answer comes out grouped by
    start, so a caller that prints thousands of slots formats each instant once. `only_at`
    restricts the search to one start (what a booking asks). `exclude_appointment_id` ignores one
    appointment (the one being rescheduled) when looking at who is busy.
    """
    return _search(site, procedure_code, start_date, days, physician_id, now, exclude_appointment_id, only_at, None)


@dataclass(frozen=True)
class NoStart:
    """Why a local day has no free start: its code, and the name of its holiday or closure."""
    code: str     # before_notice, beyond_horizon, holiday, closed, no_room, no_physician, no_hours, time_off, full
    name: str = ""


def free_starts_explained(site: Site, procedure_code: str, start_date: dt.date, days: int = 1,
                          physician_id: int | None = None, now: dt.datetime | None = None, *,
                          exclude_appointment_id: int | None = None) -> tuple[list[FreeStart], dict[dt.date, NoStart]]:
    """free_starts, and for each day without a free start the reason, from the same data (the
    same queries: explaining costs none)."""
    why: dict[dt.date, NoStart] = {}
    starts = _search(site, procedure_code, start_date, days, physician_id, now, exclude_appointment_id, None, why)
    return starts, why


def _search(site: Site, procedure_code: str, start_date: dt.date, days: int, physician_id: int | None,
            now: dt.datetime | None, exclude_appointment_id: int | None, only_at: dt.datetime | None,
            why: dict[dt.date, NoStart] | None) -> list[FreeStart]:
    procedure = get_procedure(procedure_code)
    if procedure is None:
        raise UnknownProcedure(procedure_code)
    now = now or utcnow()
    tz = site.tz
    days = max(1, days)
    earliest_at = now + dt.timedelta(hours=site.min_notice_hours)
    latest_at = now + dt.timedelta(days=site.horizon_days)
    dates = [start_date + dt.timedelta(days=offset) for offset in range(days)]
    if start_date > latest_at.date() + dt.timedelta(days=1) or start_date < earliest_at.date() - dt.timedelta(days=days + 1):
        # wholly outside the bookable window (also keeps far-off dates from overflowing)
        return _unexplained(why, dates, NoStart("beyond_horizon" if start_date > latest_at.date() else "before_notice"))
    last = dates[-1]
    window = (local_day_bounds(start_date, tz)[0], local_day_bounds(last, tz)[1])
    if window[1] <= earliest_at or window[0] > latest_at:
        return _unexplained(why, dates, NoStart("before_notice" if window[1] <= earliest_at else "beyond_horizon"))
    if only_at is not None:
        if not window[0] <= only_at < window[1]:
            return []
        # Who is busy matters only over the one block asked about.
        window = (only_at, only_at + dt.timedelta(minutes=procedure.duration_minutes + site.turnover_minutes))
    data = _load(site, procedure, start_date, last, window, physician_id, exclude_appointment_id)
    if not data.rooms or not data.physicians:
        if why is not None:
            for day in dates:
                why[day] = (_outside(site, day, earliest_at, latest_at) or _closed(site, day, data)
                            or NoStart("no_room" if not data.rooms else "no_physician"))
        return []
    earliest, latest = earliest_at.timestamp(), latest_at.timestamp()
    wanted = only_at.timestamp() if only_at is not None else None
    duration = procedure.duration_minutes * 60
    block = duration + site.turnover_minutes * 60
    step = site.slot_interval_minutes * 60
    out: list[FreeStart] = []
    for day in dates:
        closures = _day_closures(site, day, data.exceptions.get(day, []))
        if closures is None:
            if why is not None:
                why[day] = _outside(site, day, earliest_at, latest_at) or _closed(site, day, data) or NoStart("closed")
            continue
        closed = Busy([_seconds(c) for c in closures])
        candidates: dict[int, list[float]] = {}
        for phys in data.physicians:
            starts = _possible_starts(data, phys, day, tz, duration, step)
            starts = starts[bisect.bisect_left(starts, earliest):bisect.bisect_right(starts, latest)]
            if wanted is not None:
                starts = [wanted] if wanted in starts else []
            if closed.starts:
                starts = [s for s in starts if closed.free(s, s + duration)]
            candidates[phys] = starts
        day_starts = sorted(set().union(*candidates.values()))
        if why is not None:
            why[day] = _no_start(site, day, data, duration, step, earliest_at, latest_at)   # kept if nothing is free
        if not day_starts:
            continue
        rooms_at = _free_rooms(data, day_starts, block)
        pairs_at: dict[float, list[tuple[int, tuple[int, ...]]]] = {}
        for phys in data.physicians:
            for start in free_of(data.busy_physician[phys], candidates[phys], block):
                rooms = rooms_at[start]
                if rooms:
                    found = pairs_at.get(start)
                    if found is None:
                        pairs_at[start] = [(phys, rooms)]
                    else:
                        found.append((phys, rooms))
        if pairs_at and why is not None:
            why.pop(day, None)
        # Days come in order and each day's starts after the last day's: sorting within the day is enough.
        out.extend(FreeStart(start, start + duration, tuple(pairs_at[start])) for start in day_starts if start in pairs_at)
    return out


DERIVED_LIMIT = 50_000   # entries of a site's derived starts kept before they are computed anew


def _possible_starts(data: _Data, phys: int, day: dt.date, tz, duration: int, step: int) -> list[float]:
    """The physician's possible starts on a local day from their hours alone (POSIX seconds,
    sorted), kept with the site's reference data they come from."""
    key = (phys, day, duration, step)
    found = data.derived.get(key)
    if found is None:
        runs = [arange(local_to_utc(day, row.start_time, tz).timestamp(),
                        local_to_utc(day, row.end_time, tz).timestamp() - duration, step)
                for row in data.hours.get(phys, ()) if _valid_on(row, day)]
        found = runs[0] if len(runs) == 1 else sorted(set().union(*runs))
        if len(data.derived) >= DERIVED_LIMIT:
            data.derived.clear()
        data.derived[key] = found
    return found


def _unexplained(why: dict[dt.date, NoStart] | None, dates: list[dt.date], reason: NoStart) -> list[FreeStart]:
    if why is not None:
        why.update(dict.fromkeys(dates, reason))
    return []


def _outside(site: Site, day: dt.date, earliest_at: dt.datetime, latest_at: dt.datetime) -> NoStart | None:
    """The day wholly before the minimum notice, or wholly beyond the booking horizon."""
    start, end = local_day_bounds(day, site.tz)
    if end <= earliest_at:
        return NoStart("before_notice")
    if start > latest_at:
        return NoStart("beyond_horizon")
    return None


def _closed(site: Site, day: dt.date, data: _Data) -> NoStart | None:
    """The site's own closure of the whole day (with its reason), or the public holiday (named)."""
    exceptions = data.exceptions.get(day, [])
    whole = [e for e in exceptions if e.kind == CalendarExceptionKind.CLOSED and e.hours is None]
    if whole:
        return NoStart("closed", whole[0].reason or "")
    holiday = public_holiday(site, day)
    if holiday and not any(e.kind == CalendarExceptionKind.OPEN for e in exceptions):
        return NoStart("holiday", holiday)
    return None


def _no_start(site: Site, day: dt.date, data: _Data, duration: int, step: int,
              earliest_at: dt.datetime, latest_at: dt.datetime) -> NoStart:
    """Why an open day has no free start: nobody's hours, everybody away, the notice or horizon
    cutting the day, or every start taken."""
    working = {phys: _possible_starts(data, phys, day, site.tz, duration, step) for phys in data.physicians}
    if not any(working.values()):
        return NoStart("no_hours")
    present = [s for phys, starts in working.items() for s in starts if data.time_off[phys].free(s, s + duration)]
    if not present:
        return NoStart("time_off")
    if max(present) < earliest_at.timestamp():
        return NoStart("before_notice")
    if min(present) > latest_at.timestamp():
        return NoStart("beyond_horizon")
    return NoStart("full")


def start_minutes(start_times: Iterable[dt.time], step_minutes: int) -> frozenset[int]:
    """The local second offsets, modulo the slot interval, at which a start can fall (every start is
    a working interval's start plus a whole number of intervals)."""
    step = step_minutes * 60
    return frozenset((t.hour * 3600 + t.minute * 60 + t.second) % step for t in start_times)


def window_edges(site: Site, now: dt.datetime, offsets: frozenset[int]) -> tuple:
    """What of `now` an availability answer depends on: the first possible start at or after the
    minimum notice and the last at or before the horizon (free_starts compares starts with exactly
    these two instants), each as a local wall time with its UTC offset. Equal edges, equal answers."""
    step = site.slot_interval_minutes * 60
    earliest = (now + dt.timedelta(hours=site.min_notice_hours)).astimezone(site.tz)
    latest = (now + dt.timedelta(days=site.horizon_days)).astimezone(site.tz)

    def edge(local: dt.datetime, after: bool) -> tuple:
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        at = (local - midnight).total_seconds()
        if not offsets:
            return (local.date(), local.utcoffset(), None)
        if after:
            found = min(at + (r - at) % step for r in offsets)
        else:
            found = max(at - (at - r) % step for r in offsets)
        return (local.date(), local.utcoffset(), found)

    return edge(earliest, True), edge(latest, False)


def _free_rooms(data: _Data, starts: list[float], length: int) -> dict[float, tuple[int, ...]]:
    """Each start's free suitable rooms, in room order: a row of taken flags per room (ranges set
    at once), read across the rooms start by start; each distinct combination makes its tuple once."""
    every = tuple(data.rooms)
    if not every:
        return dict.fromkeys(starts, ())
    rows = []
    for room in every:
        taken = bytearray(len(starts))
        for lo, hi in taken_ranges(data.busy_room[room], starts, length):
            taken[lo:hi] = b"\x01" * (hi - lo)
        rows.append(taken)
    made: dict[tuple[int, ...], tuple[int, ...]] = {}
    free: dict[float, tuple[int, ...]] = {}
    for start, flags in zip(starts, zip(*rows, strict=True), strict=True):
        rooms = made.get(flags)
        if rooms is None:
            rooms = made[flags] = tuple(room for room, flag in zip(every, flags, strict=True) if not flag)
        free[start] = rooms
    return free


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def find_slots(site: Site, procedure_code: str, start_date: dt.date, days: int = 1,
               physician_id: int | None = None, now: dt.datetime | None = None, *,
               exclude_appointment_id: int | None = None, only_at: dt.datetime | None = None) -> list[Slot]:
    """Free slots over `days` local days from `start_date`, sorted by start, physician, then room.

    One Slot per free (physician, suitable room) pair; see free_starts for the arguments.
    """
    return [Slot(free.start_at, free.end_at, phys, room)
            for free in free_starts(site, procedure_code, start_date, days, physician_id, now,
                                    exclude_appointment_id=exclude_appointment_id, only_at=only_at)
            for phys, rooms in free.pairs for room in rooms]
