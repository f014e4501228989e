"""The dispatcher records each finished pass; readiness and metrics read the records."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from clinic.db import utcnow
from clinic.extensions import db
from clinic.reminders.models import DispatcherHeartbeat
from clinic.unit_of_work import unit_of_work


def beat(worker_id: str, interval_seconds: int, started_at: dt.datetime, counts, now: dt.datetime | None = None) -> None:
    """Add this pass to the dispatcher's row (created on its first pass), then drop the rows of
    dispatchers silent for HEARTBEAT_KEEP_SECONDS (restarted processes get a new id)."""
    now = now or utcnow()
    table = DispatcherHeartbeat.__table__
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    row = {"worker_id": worker_id[:100], "interval_seconds": interval_seconds, "started_at": started_at,
           "last_pass_at": now, "passes": 1, "claimed": counts.claimed, "sent": counts.sent,
           "retried": counts.retrying, "failed": counts.failed}
    stmt = insert(table).values(row)
    added = {name: table.c[name] + stmt.excluded[name] for name in ("passes", "claimed", "sent", "retried", "failed")}
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.worker_id],
                                      set_={"last_pass_at": now, "interval_seconds": interval_seconds, **added})
    keep = dt.timedelta(seconds=current_app.config.get("HEARTBEAT_KEEP_SECONDS", 86_400))
    with unit_of_work():
        db.session.execute(stmt)
        db.session.execute(sa.delete(table).where(table.c.last_pass_at < now - keep))


def live(now: dt.datetime | None = None) -> list[DispatcherHeartbeat]:
    """Dispatchers whose last pass is within twice their interval."""
    now = now or utcnow()
    rows = db.session.execute(sa.select(DispatcherHeartbeat)).scalars()
    return [r for r in rows if now - r.last_pass_at <= dt.timedelta(seconds=2 * r.interval_seconds)]


def all_rows() -> list[DispatcherHeartbeat]:
    return list(db.session.execute(sa.select(DispatcherHeartbeat).order_by(DispatcherHeartbeat.worker_id)).scalars())
