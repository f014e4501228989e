"""Reading the audit log: filters, pages and a streamed export. Nothing here changes an event.

The log is append-only: no function of the app updates or deletes an AuditEvent. The ORM refuses
it too (the listeners below), and the database refuses any UPDATE or DELETE statement on
audit_events whatever its origin (triggers: migration 0007 on PostgreSQL, 0016 on SQLite), and
TRUNCATE on PostgreSQL (0016).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.db import listen
from clinic.extensions import db
from clinic.tenancy import scoped

PER_PAGE = 50
# A merge of two records of one patient writes both (clinic.patients.merge): on the kept record,
# "patient.merged" naming the record merged away as its object; on that record, "patient.merged_away"
# naming the kept one. The log is what says a record was merged: its rows are never changed.
MERGED, MERGED_AWAY = "patient.merged", "patient.merged_away"
MERGE_DEPTH = 50  # no chain of merges is longer (a loop in the log, impossible, would stop here)
EXPORT_BATCH = 500
CSV_COLUMNS = ["id", "at_utc", "user_id", "actor", "action", "object_type", "object_id", "patient_id",
               "channel", "ip", "details"]


class AppendOnly(Exception):
    """Raised when code tries to change or remove an audit event."""


def _refuse_update(_mapper, _connection, target) -> None:
    raise AppendOnly(f"audit event {target.id} cannot be changed: the audit log is append-only")


def _refuse_delete(_mapper, _connection, target) -> None:
    raise AppendOnly(f"audit event {target.id} cannot be deleted: the audit log is append-only")


def guard() -> None:
    """Refuse, at flush, any change to or removal of an audit event."""
    listen(AuditEvent, "before_update", _refuse_update)
    listen(AuditEvent, "before_delete", _refuse_delete)


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    patient_id: int | None = None
    action: str = ""
    date_from: dt.date | None = None  # UTC dates, inclusive
    date_to: dt.date | None = None

    def as_dict(self) -> dict:
        return {
            "user_id": self.user_id, "patient_id": self.patient_id, "action": self.action,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


def merged_ids(patient_id: int) -> set[int]:
    """The records merged into this patient's, and those merged into them, and so on."""
    found: set[int] = set()
    frontier = {patient_id}
    for _ in range(MERGE_DEPTH):
        rows = db.session.scalars(sa.select(AuditEvent.object_id).where(
            AuditEvent.patient_id.in_(frontier), AuditEvent.action == MERGED, AuditEvent.object_type == "patient"))
        frontier = {int(r) for r in rows if r and r.isdigit()} - found - {patient_id}
        if not frontier:
            break
        found |= frontier
    return found


def merged_into(patient_id: int) -> int | None:
    """The record this one was merged into (the last of a chain of merges), or None."""
    current, seen = patient_id, {patient_id}
    for _ in range(MERGE_DEPTH):
        into = db.session.scalar(sa.select(AuditEvent.object_id).where(
            AuditEvent.patient_id == current, AuditEvent.action == MERGED_AWAY, AuditEvent.object_type == "patient")
            .order_by(AuditEvent.id.desc()).limit(1))
        if not into or not into.isdigit() or int(into) in seen:
            break
        current = int(into)
        seen.add(current)
    return None if current == patient_id else current


def _query(f: AuditFilter) -> sa.Select:
    query = scoped(AuditEvent)  # an organisation's administrator reads its events only
    if f.user_id is not None:
        query = query.where(AuditEvent.user_id == f.user_id)
    if f.patient_id is not None:
        # A patient's events include those of the records merged into theirs.
        query = query.where(AuditEvent.patient_id.in_({f.patient_id} | merged_ids(f.patient_id)))
    if f.action:
        # A prefix: "patient." finds every patient action; an exact name finds that one.
        escaped = f.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEvent.action.like(escaped + "%", escape="\\"))
    if f.date_from is not None:
        query = query.where(AuditEvent.at >= dt.datetime.combine(f.date_from, dt.time(0), dt.UTC))
    if f.date_to is not None:
        query = query.where(AuditEvent.at < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time(0), dt.UTC))
    return query


def search(f: AuditFilter, page: int = 1) -> tuple[list[AuditEvent], int]:
    """One page of events, newest first, and the number of matching events."""
    page = max(1, page)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(_query(f).subquery())) or 0
    rows = db.session.scalars(
        _query(f).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )
    return list(rows), total


def action_names() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def export_rows(f: AuditFilter) -> Iterator[list[str]]:
    """The header, then every matching event oldest first, read in batches (keyset pagination)."""
    yield CSV_COLUMNS
    last_id = 0
    while True:
        batch = list(db.session.scalars(
            _query(f).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(EXPORT_BATCH)
        ))
        for e in batch:
            yield [
                str(e.id), e.at.astimezone(dt.UTC).isoformat(), "" if e.user_id is None else str(e.user_id), e.actor,
                e.action, e.object_type, e.object_id or "", "" if e.patient_id is None else str(e.patient_id),
                e.channel, e.ip or "", json.dumps(e.details or {}, ensure_ascii=False, sort_keys=True),
            ]
        if len(batch) < EXPORT_BATCH:
            return
        last_id = batch[-1].id
