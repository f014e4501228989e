"""Schedule stamps move with every change to free slots, and cached availability follows them."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.scheduling import stamps
from clinic.scheduling.models import TimeOff, WorkingHours
from clinic.sites.models import CalendarExceptionKind, Room, SiteCalendarException

UTC = dt.UTC
URL = "/api/v1/availability?location={code}&procedure=esi-interlaminar&date=2026-03-02"


@pytest.fixture
def two_sites(make_site, physician, frozen):
    frozen(2026, 2, 20)
    here, there = make_site(code="stamp-here"), make_site(code="stamp-there")
    return here, there, physician(here, there)


def stamp(db, site) -> int:
    return stamps.current(db.session, site.id)


def test_a_booking_bumps_its_site_and_the_physicians_other_sites(db, two_sites, make_site, book):
    here, there, doc = two_sites
    elsewhere = make_site(code="stamp-elsewhere")
    before = {s.code: stamp(db, s) for s in (here, there, elsewhere)}
    book(here, "2026-03-02T09:00:00+01:00", physician=doc)
    db.session.commit()
    assert stamp(db, here) == before["stamp-here"] + 1
    assert stamp(db, there) == before["stamp-there"] + 1      # the physician is busy there too
    assert stamp(db, elsewhere) == before["stamp-elsewhere"]  # nothing of it changed


def test_a_note_leaves_the_stamp_and_a_cancellation_moves_it(db, two_sites, book):
    here, _there, doc = two_sites
    appt = book(here, "2026-03-02T09:00:00+01:00", physician=doc)
    db.session.commit()
    first = stamp(db, here)
    appt.ical_sequence += 1
    appt.needs_reschedule = True
    db.session.commit()
    assert stamp(db, here) == first
    appt.status = appt.status.CANCELLED
    db.session.commit()
    assert stamp(db, here) == first + 1


@pytest.mark.parametrize("change", ["time_off", "hours", "room", "closure", "settings", "unlink"])
def test_each_input_of_availability_bumps_the_stamp(db, two_sites, change):
    here, _there, doc = two_sites
    db.session.commit()
    first = stamp(db, here)
    if change == "time_off":   # time off everywhere: site_id None, found through the physician
        db.session.add(TimeOff(physician_id=doc.id, site_id=None, start_at=dt.datetime(2026, 3, 2, 8, tzinfo=UTC),
                               end_at=dt.datetime(2026, 3, 2, 12, tzinfo=UTC)))
    elif change == "hours":
        db.session.add(WorkingHours(physician_id=doc.id, site_id=here.id, weekday=5, start_time=dt.time(8),
                                    end_time=dt.time(12), valid_from=dt.date(2026, 1, 1)))
    elif change == "room":
        here.rooms.append(Room(name="Room 2", modalities=["fluoroscopy"]))
    elif change == "closure":
        db.session.add(SiteCalendarException(site_id=here.id, day=dt.date(2026, 3, 2),
                                             kind=CalendarExceptionKind.CLOSED, reason="Works"))
    elif change == "settings":
        here.turnover_minutes = 20
    elif change == "unlink":
        doc.sites.remove(here)
    db.session.commit()
    assert stamp(db, here) == first + 1


def test_a_rolled_back_change_bumps_nothing(db, two_sites):
    here, _there, _doc = two_sites
    db.session.commit()
    first = stamp(db, here)
    nested = db.session.begin_nested()
    here.turnover_minutes = 25
    db.session.flush()
    nested.rollback()
    db.session.commit()
    assert stamp(db, here) == first


def test_cached_answers_follow_the_stamp(app, db, client, two_sites, make_user, make_patient, api_token):
    here, _there, doc = two_sites
    headers = api_token(make_user("front_desk", sites=[here]))
    first = client.get(URL.format(code=here.code), headers=headers).get_json()["slots"]
    cache = client.application.extensions["availability_answers"]
    hits = cache.hits
    again = client.get(URL.format(code=here.code), headers=headers)
    assert again.get_json()["slots"] == first and cache.hits == hits + 1
    nine = "2026-03-02T09:00:00+01:00"
    assert nine in {s["start"] for s in first}
    booked = client.post("/api/v1/appointments", headers=headers, json={
        "patient_id": make_patient().id, "location": here.code, "procedure": "esi-interlaminar", "start": nine})
    assert booked.status_code == 201
    after = client.get(URL.format(code=here.code), headers=headers).get_json()["slots"]
    assert nine not in {s["start"] for s in after} and len(after) < len(first)


def test_a_zero_budget_cache_always_computes():
    cache = stamps.AnswerCache(0)
    calls = []
    for _ in range(3):
        cache.get_or_compute("key", lambda: calls.append(1) or "answer")
    assert len(calls) == 3 and cache.hits == 0


def test_the_cache_keeps_the_most_recent_answers_within_its_budget():
    overhead = stamps.ENTRY_OVERHEAD
    cache = stamps.AnswerCache(10 + 2 * overhead)
    for key in ("a", "b", "a", "c"):
        cache.get_or_compute(key, lambda k=key: k.upper() * 4)
    assert cache.hits == 1 and list(cache._items) == ["a", "c"] and cache.used == 8 + 2 * overhead
    cache.get_or_compute("huge", lambda: "x" * (11 + overhead))      # larger than the budget: answered, not kept
    assert list(cache._items) == ["a", "c"]


def test_many_small_answers_stay_within_the_budget():
    """Empty answers of new keys every minute must not grow the cache past its budget in entries."""
    cache = stamps.AnswerCache(100 * stamps.ENTRY_OVERHEAD)
    for minute in range(10_000):
        cache.get_or_compute(("site", minute), lambda: b'{"slots":[]}')
    assert len(cache._items) < 100 and cache.used <= cache.budget


def test_the_stamp_moves_at_commit_not_when_a_savepoint_is_released(db, two_sites, book):
    """Booking releases a savepoint midway; the stamp's row is written only by the commit itself,
    so concurrent bookings at a site wait on it for the commit alone."""
    here, _there, doc = two_sites
    db.session.commit()
    first = stamp(db, here)
    book(here, "2026-03-02T10:00:00+01:00", physician=doc)
    db.session.flush()
    assert stamp(db, here) == first
    db.session.commit()
    assert stamp(db, here) == first + 1


def test_a_row_changed_after_a_commit_expired_it_still_bumps(db, two_sites, add_hours):
    """After a commit every attribute is expired; changing one leaves site_id unloaded, and the
    stamp must still find the site."""
    here, _there, doc = two_sites
    row = add_hours(doc, here, 5, dt.time(8), dt.time(12))
    db.session.commit()
    first = stamp(db, here)
    db.session.expire(row)
    row.end_time = dt.time(13)
    db.session.commit()
    assert stamp(db, here) == first + 1
