"""/metrics in Prometheus' text format, for a scraper holding METRICS_TOKEN (unset: no /metrics).

Per process: requests and their durations per route, bookings committed, availability answers
served from the cache or computed. Read from the database at each scrape (the dispatchers are
other processes): the outbox's due messages and the age of the oldest, and per dispatcher its
passes, sent, retried and failed messages and the age of its last pass.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder (the image
does): each worker writes its counters there and a scrape adds them up.
"""

from __future__ import annotations

import hmac
import os
import threading
from time import perf_counter

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.orm import Session

from clinic.access import public
from clinic.db import listen, utcnow
from clinic.ops.logs import route_of

REQUESTS = Counter("clinic_http_requests", "Answered requests.", ["method", "route", "status"])
DURATION = Histogram("clinic_http_request_duration_seconds", "Time spent in the app per request.",
                     ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BOOKINGS = Counter("clinic_bookings", "Appointments booked (committed).", ["site_id"])
CACHE = Counter("clinic_availability_cache", "Availability answers, served from the cache (hit) or computed (miss).",
                ["result"])
_NEW_BOOKINGS = "ops_new_bookings"


def _count_new(session: Session, _context) -> None:
    from clinic.scheduling.models import Appointment

    new = [(obj, obj.site_id) for obj in session.new if isinstance(obj, Appointment)]
    if new:
        session.info.setdefault(_NEW_BOOKINGS, []).extend(new)


def _commit_counts(session: Session) -> None:
    # Only rows still there: one flushed in a transaction or savepoint rolled back since is no
    # longer persistent (a rollback does not clear the list: what was flushed before a savepoint stays).
    for obj, site_id in session.info.pop(_NEW_BOOKINGS, []):
        if sa.inspect(obj).persistent:
            BOOKINGS.labels(site_id=str(site_id)).inc()


class _CacheCounts:
    """Moves the availability cache's own hit and miss counts into the Prometheus counter."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reported: dict[int, tuple[int, int]] = {}

    def sync(self, app: Flask) -> None:
        cache = app.extensions.get("availability_answers")
        if cache is None:
            return
        with self.lock:
            hits, misses = self.reported.get(id(cache), (0, 0))
            now_hits, now_misses = cache.hits, cache.misses
            self.reported[id(cache)] = (now_hits, now_misses)
        if now_hits > hits:
            CACHE.labels(result="hit").inc(now_hits - hits)
        if now_misses > misses:
            CACHE.labels(result="miss").inc(now_misses - misses)


_cache_counts = _CacheCounts()


class DatabaseCollector:
    """The outbox and the dispatchers' heartbeats, read at scrape time."""

    def collect(self):
        from clinic.extensions import db
        from clinic.reminders.models import DispatcherHeartbeat, Reminder

        now = utcnow()
        t = Reminder.__table__.c
        due, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(t.next_attempt_at))
            .where(t.status.in_(("planned", "retrying")), t.next_attempt_at <= now)).one()
        yield GaugeMetricFamily("clinic_outbox_due", "Messages due now, waiting for a dispatcher.", value=due)
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("clinic_outbox_oldest_due_age_seconds", "How long the oldest due message has waited.",
                                value=max(0.0, age))
        rows = db.session.execute(sa.select(DispatcherHeartbeat)).scalars().all()
        yield from self._dispatchers(rows, now)

    @staticmethod
    def _dispatchers(rows, now):
        families = {name: CounterMetricFamily(f"clinic_dispatcher_{name}", f"Per dispatcher since it started: {name}.",
                                              labels=["worker"])
                    for name in ("passes", "claimed", "sent", "retried", "failed")}
        last = GaugeMetricFamily("clinic_dispatcher_last_pass_age_seconds", "Seconds since the dispatcher's last pass.",
                                 labels=["worker"])
        interval = GaugeMetricFamily("clinic_dispatcher_interval_seconds", "The dispatcher's interval between passes.",
                                     labels=["worker"])
        for row in rows:
            for name, family in families.items():
                family.add_metric([row.worker_id], getattr(row, name))
            last.add_metric([row.worker_id], (now - row.last_pass_at).total_seconds())
            interval.add_metric([row.worker_id], row.interval_seconds)
        yield from families.values()
        yield last
        yield interval


def _process_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _authorised() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)  # no token set: metrics are off
    given = request.headers.get("Authorization", "")
    return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())


@public  # guarded by its own token, not by a staff sign-in
def metrics_view() -> Response:
    if not _authorised():
        return Response("metrics need the bearer token (METRICS_TOKEN)\n", status=401,
                        headers={"WWW-Authenticate": "Bearer"}, mimetype="text/plain")
    _cache_counts.sync(current_app)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    try:
        body = generate_latest(_process_registry()) + generate_latest(database)
    finally:
        from clinic.extensions import db

        db.session.rollback()
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    listen(Session, "after_flush", _count_new)
    listen(Session, "after_commit", _commit_counts)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])

    @app.after_request
    def count_request(response):
        route = route_of()
        REQUESTS.labels(method=request.method, route=route, status=str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            DURATION.labels(method=request.method, route=route).observe(perf_counter() - started)
        _cache_counts.sync(app)
        return response
