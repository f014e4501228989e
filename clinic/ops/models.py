"""The dispatcher's heartbeat: one row per dispatcher process, written after each pass."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import UTCDateTime
from clinic.extensions import Model


class DispatcherHeartbeat(Model):
    """When a dispatcher last finished a pass, at what interval it runs, and what it has done
    since it started (readiness and metrics read it; the web processes cannot see the dispatcher's)."""

    __tablename__ = "dispatcher_heartbeats"

    worker_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    interval_seconds: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_pass_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    passes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    claimed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sent: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    retried: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    failed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
