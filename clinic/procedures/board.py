"""The day board (a site's rooms as columns on a time line) and a physician's worklist."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import sqlalchemy as sa

from clinic.accounts.models import User
from clinic.audit.services import record_shown
from clinic.extensions import db
from clinic.procedures import catalog
from clinic.procedures.models import Checklist, ChecklistState
from clinic.procedures.services import Case
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.sites.models import Room, Site
from clinic.timeutil import local_day_bounds, local_to_utc

DAY_START, DAY_END = dt.time(8), dt.time(18)
HIDDEN = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


@dataclass
class BoardCase:
    appointment: Appointment
    checklist: Checklist | None
    status: str                  # booked, checked_in, in_procedure, monitoring, ready_for_discharge, discharged...
    minutes_left: int | None = None
    warnings: list[dict] = field(default_factory=list)
    discharge_from: dt.datetime | None = None   # while under observation: the earliest discharge

    @property
    def id(self) -> int:
        return self.appointment.id


def case_status(appointment: Appointment, checklist: Checklist | None,
                now: dt.datetime) -> tuple[str, int | None, dt.datetime | None]:
    """The board's status, and while under observation the minutes left and the earliest instant
    of discharge, as the case page counts them (services.Case: the procedure's end plus the
    observation time)."""
    status = appointment.status
    if status in HIDDEN or status == AppointmentStatus.BOOKED:
        return status.value, None, None
    state = checklist.state if checklist else ChecklistState.OPEN
    if state in (ChecklistState.DISCHARGED, ChecklistState.SIGNED) or status == AppointmentStatus.COMPLETED:
        return "discharged", None, None
    if state in (ChecklistState.MONITORING, ChecklistState.READY_FOR_DISCHARGE) and checklist and checklist.procedure_ended_at:
        case = Case(appointment, checklist, catalog.load_template(), [], {})
        left = case.minutes_left(now)
        return ("monitoring" if left else "ready_for_discharge"), left, case.discharge_from
    if state == ChecklistState.IN_PROCEDURE or status == AppointmentStatus.IN_PROCEDURE:
        return "in_procedure", None, None
    return "checked_in", None, None


def _cases(where, now: dt.datetime) -> list[BoardCase]:
    rows = db.session.execute(
        sa.select(Appointment, Checklist)
        .outerjoin(Checklist, Checklist.appointment_id == Appointment.id)
        .where(*where)
        .order_by(Appointment.start_at, Appointment.id)
    ).all()
    cases = []
    for appointment, checklist in rows:
        status, left, until = case_status(appointment, checklist, now)
        cases.append(BoardCase(appointment, checklist, status, left, list(appointment.warnings or []), until))
    return cases


@dataclass
class Board:
    site: Site
    day: dt.date
    rooms: list[Room]
    rows: list[dict]             # {"time": local time, "cells": [cell per room]}
    unplaced: list[BoardCase]    # cancelled, no-show, or in a room no longer shown
    cases: list[BoardCase]


def _slots(site: Site, day: dt.date, cases: list[BoardCase]) -> tuple[dt.datetime, int, int]:
    """The time line: its first instant, the slot length in minutes, the number of slots."""
    step = site.slot_interval_minutes
    start = local_to_utc(day, DAY_START, site.tz)
    end = local_to_utc(day, DAY_END, site.tz)
    for c in cases:
        start, end = min(start, c.appointment.start_at), max(end, c.appointment.end_at)
    local_start = start.astimezone(site.tz)
    floor = local_start.replace(minute=local_start.minute - local_start.minute % step, second=0, microsecond=0)
    start = floor.astimezone(dt.UTC)
    return start, step, max(1, math.ceil((end - start).total_seconds() / 60 / step))


def day_board(site: Site, day: dt.date, now: dt.datetime) -> Board:
    low, high = local_day_bounds(day, site.tz)
    cases = _cases((Appointment.site_id == site.id, Appointment.start_at >= low, Appointment.start_at < high), now)
    rooms = [r for r in site.rooms if r.active or any(c.appointment.room_id == r.id for c in cases)]
    placed = [c for c in cases if c.appointment.status not in HIDDEN]
    start, step, count = _slots(site, day, placed)
    grid: list[list[dict | None]] = [[{"kind": "empty"} for _ in rooms] for _ in range(count)]
    unplaced = [c for c in cases if c.appointment.status in HIDDEN]
    column = {r.id: n for n, r in enumerate(rooms)}
    for case in placed:
        col = column.get(case.appointment.room_id)
        first = int((case.appointment.start_at - start).total_seconds() // 60 // step)
        span = max(1, math.ceil((case.appointment.end_at - case.appointment.start_at).total_seconds() / 60 / step))
        span = min(span, count - first)
        if col is None or any((cell := grid[r][col]) is None or cell["kind"] != "empty" for r in range(first, first + span)):
            unplaced.append(case)
            continue
        grid[first][col] = {"kind": "case", "case": case, "rowspan": span}
        for r in range(first + 1, first + span):
            grid[r][col] = None   # covered by the row span above
    rows = [{"time": start + dt.timedelta(minutes=step * n), "cells": cells} for n, cells in enumerate(grid)]
    record_shown("board.read", [(c.appointment.patient_id, c.id) for c in cases],
                 {"site_id": site.id, "day": day.isoformat()})
    return Board(site, day, rooms, rows, unplaced, cases)


def worklist(physician: User, day: dt.date, now: dt.datetime) -> list[BoardCase]:
    """The physician's own cases of a local day, at every site they work at."""
    cases = []
    for site in physician.sites:
        low, high = local_day_bounds(day, site.tz)
        cases += _cases((Appointment.physician_id == physician.id, Appointment.site_id == site.id,
                         Appointment.start_at >= low, Appointment.start_at < high), now)
    cases.sort(key=lambda c: c.appointment.start_at)
    record_shown("worklist.read", [(c.appointment.patient_id, c.id) for c in cases],
                 {"physician_id": physician.id, "day": day.isoformat()})
    return cases
