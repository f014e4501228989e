"""/metrics: off without METRICS_TOKEN, 401 without it, Prometheus' text format with it; the
request, booking, availability cache, outbox and dispatcher metrics move with what happens."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from prometheus_client.parser import text_string_to_metric_families

from clinic.db import utcnow
from clinic.reminders import heartbeat
from clinic.reminders.dispatcher import Counts
from clinic.reminders.models import Reminder
from tests import factories

TOKEN = "metrics-test-token"
AVAILABILITY = "/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date=2026-03-02&days=1"


@pytest.fixture
def scrape(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)

    def do() -> dict[tuple[str, tuple], float]:
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200 and answer.mimetype == "text/plain"
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(answer.get_data(as_text=True)) for s in family.samples}

    return do


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_requests_bookings_cache_outbox_and_dispatchers_are_measured(client, db, scrape, paris, make_user,
                                                                     make_patient, api_token):
    make_user("physician", sites=[paris])
    h = api_token(make_user("front_desk", sites=[paris]))
    patient = make_patient()
    with time_machine.travel(dt.datetime(2026, 2, 20, tzinfo=dt.UTC), tick=False):
        before = scrape()
        assert client.get(AVAILABILITY, headers=h).status_code == 200
        assert client.get(AVAILABILITY, headers=h).status_code == 200
        booked = client.post("/api/v1/appointments", headers=h, json={
            "patient_id": patient.id, "location": "paris-test", "procedure": "esi-interlaminar",
            "start": "2026-03-02T09:00:00+01:00"})
        assert booked.status_code == 201, booked.get_json()
        now = utcnow()
        db.session.execute(sa.update(Reminder).where(Reminder.appointment_id == booked.get_json()["id"])
                           .values(status="planned", next_attempt_at=now - dt.timedelta(minutes=5)))
        db.session.commit()
        heartbeat.beat("disp-a", 30, now, Counts(claimed=4, sent=3, retrying=1, failed=0), now=now - dt.timedelta(seconds=7))
        after = scrape()
    route = "/api/v1/availability"
    assert _value(after, "clinic_http_requests_total", method="GET", route=route, status="200") \
        - _value(before, "clinic_http_requests_total", method="GET", route=route, status="200") == 2
    assert _value(after, "clinic_http_request_duration_seconds_count", method="GET", route=route) >= 2
    site = str(paris.id)
    assert _value(after, "clinic_bookings_total", site_id=site) - _value(before, "clinic_bookings_total", site_id=site) == 1
    hits = _value(after, "clinic_availability_cache_total", result="hit") - _value(before, "clinic_availability_cache_total", result="hit")
    misses = _value(after, "clinic_availability_cache_total", result="miss") - _value(before, "clinic_availability_cache_total", result="miss")
    assert (hits, misses) == (1, 1)
    assert _value(after, "clinic_outbox_due") >= 1
    assert _value(after, "clinic_outbox_oldest_due_age_seconds") == pytest.approx(300, abs=1)
    assert _value(after, "clinic_dispatcher_sent_total", worker="disp-a") == 3
    assert _value(after, "clinic_dispatcher_retried_total", worker="disp-a") == 1
    assert _value(after, "clinic_dispatcher_failed_total", worker="disp-a") == 0
    assert ("clinic_dispatcher_failed_total", (("worker", "disp-a"),)) in after
    assert _value(after, "clinic_dispatcher_passes_total", worker="disp-a") == 1
    assert _value(after, "clinic_dispatcher_last_pass_age_seconds", worker="disp-a") == pytest.approx(7, abs=1)
    assert _value(after, "clinic_dispatcher_interval_seconds", worker="disp-a") == 30


def test_unmatched_paths_share_one_route_label(client, scrape):
    client.get("/no/such/page/Marie-Dubois")
    samples = scrape()
    assert _value(samples, "clinic_http_requests_total", method="GET", route="<unmatched>", status="404") >= 1
    assert not any("Dubois" in str(key) for key in samples)


def test_a_booking_rolled_back_in_a_savepoint_is_not_counted_and_the_one_before_it_is(db, client, scrape, paris, make_user, make_patient):
    doc = make_user("physician", sites=[paris])
    patient = make_patient()
    site = str(paris.id)
    before = _value(scrape(), "clinic_bookings_total", site_id=site)
    start = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)

    def appointment(minutes: int) -> None:   # added and flushed
        factories.appointment(paris, patient, start=start + dt.timedelta(minutes=minutes), turnover=0,
                              room=paris.rooms[0], physician=doc, procedure_code="esi-interlaminar")

    appointment(0)
    nested = db.session.begin_nested()
    appointment(60)
    nested.rollback()
    db.session.commit()
    assert _value(scrape(), "clinic_bookings_total", site_id=site) - before == 1
