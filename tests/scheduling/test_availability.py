"""The availability engine: hours, breaks, closures, holidays, rooms, bookings, notice, DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from clinic.scheduling.availability import Slot, UnknownProcedure, find_slots
from clinic.scheduling.models import TimeOff
from clinic.sites.models import CalendarExceptionKind, SiteCalendarException

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")
CHICAGO = ZoneInfo("America/Chicago")


def local_starts(slots, tz):
    return sorted({s.start_at.astimezone(tz).strftime("%H:%M") for s in slots})


def test_slots_follow_working_hours_and_interval(paris, physician, frozen):
    """A 30-minute procedure between 08:00 and 17:00 every 15 minutes: 08:00 to 16:30, sorted."""
    frozen(2026, 2, 20)
    doc = physician(paris)
    slots = find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2))
    starts = local_starts(slots, PARIS)
    assert starts[0] == "08:00" and starts[-1] == "16:30" and len(starts) == 35
    assert all(isinstance(s, Slot) and s.physician_id == doc.id for s in slots)
    assert slots == sorted(slots, key=lambda s: (s.start_at, s.physician_id))
    assert all(s.end_at - s.start_at == dt.timedelta(minutes=30) for s in slots)
    assert all(s.start_at.tzinfo is not None and s.start_at.utcoffset() == dt.timedelta(0) for s in slots)


def test_breaks_between_intervals_are_not_offered(paris, physician, add_hours, frozen):
    """Two intervals on one day (08-12, 13-17): nothing that would run into the lunch break."""
    frozen(2026, 2, 20)
    doc = physician(paris, hours=False)
    add_hours(doc, paris, 0, dt.time(8), dt.time(12))
    add_hours(doc, paris, 0, dt.time(13), dt.time(17))
    starts = local_starts(find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2)), PARIS)
    assert "11:30" in starts and "11:45" not in starts and "12:00" not in starts and "13:00" in starts


def test_validity_dates_of_working_hours(paris, physician, add_hours, frozen):
    """Hours valid until a date stop being offered after it."""
    frozen(2026, 2, 20)
    doc = physician(paris, hours=False)
    add_hours(doc, paris, 0, dt.time(8), dt.time(12), valid_until=dt.date(2026, 3, 2))
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2))
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 9)) == []


@pytest.mark.parametrize("day, paris_utc, mn_utc", [
    (dt.date(2026, 3, 2), "08:00", "15:00"),   # before both changes
    (dt.date(2026, 3, 9), "08:00", "14:00"),   # Monday after the US change (between the two)
    (dt.date(2026, 3, 16), "08:00", "14:00"),  # a Monday between the two changes
    (dt.date(2026, 3, 30), "07:00", "14:00"),  # Monday after the EU change
])
def test_nine_local_on_daylight_saving_mondays(paris, minnesota, physician, frozen, day, paris_utc, mn_utc):
    """09:00 local is offered at both sites, at the right UTC instant for each country's clock."""
    frozen(2026, 2, 20)
    physician(paris)
    physician(minnesota)
    for site, tz, expected in ((paris, PARIS, paris_utc), (minnesota, CHICAGO, mn_utc)):
        slots = find_slots(site, "esi-interlaminar", day)
        nine = [s for s in slots if s.start_at.astimezone(tz).strftime("%H:%M") == "09:00"]
        assert nine and nine[0].start_at.strftime("%H:%M") == expected
        assert local_starts(slots, tz)[0] == "08:00"


def test_the_day_the_clocks_change_keeps_local_hours(paris, physician, add_hours, frozen):
    """On Sunday 29 March 2026 (Paris spring change) Sunday hours 08-17 still give 08:00 to 16:30 local."""
    frozen(2026, 2, 20)
    doc = physician(paris, hours=False)
    add_hours(doc, paris, 6, dt.time(8), dt.time(17))
    starts = local_starts(find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 29)), PARIS)
    assert starts[0] == "08:00" and starts[-1] == "16:30" and len(starts) == 35


def test_public_holidays_by_country(paris, minnesota, physician, add_hours, frozen):
    """14 July closed in Paris, 4 July closed in Minnesota, Paris open on 4 July."""
    frozen(2026, 6, 1)
    for site in (paris, minnesota):
        doc = physician(site)
        add_hours(doc, site, 5, dt.time(8), dt.time(17))   # Saturdays too: 4 July 2026 is one
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 7, 14)) == []
    assert find_slots(minnesota, "esi-interlaminar", dt.date(2026, 7, 14))
    assert find_slots(minnesota, "esi-interlaminar", dt.date(2026, 7, 4)) == []
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 7, 4))


def test_site_exceptions_close_and_open(db, paris, physician, frozen):
    """A whole-day closure, a part-day closure, and an opening on a public holiday."""
    frozen(2026, 6, 1)
    physician(paris)
    db.session.add_all([
        SiteCalendarException(site_id=paris.id, day=dt.date(2026, 7, 6), kind=CalendarExceptionKind.CLOSED),
        SiteCalendarException(site_id=paris.id, day=dt.date(2026, 7, 7), kind=CalendarExceptionKind.CLOSED,
                              start_time=dt.time(12), end_time=dt.time(17)),
        SiteCalendarException(site_id=paris.id, day=dt.date(2026, 7, 14), kind=CalendarExceptionKind.OPEN,
                              start_time=dt.time(9), end_time=dt.time(12)),
    ])
    db.session.flush()
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 7, 6)) == []
    afternoon = local_starts(find_slots(paris, "esi-interlaminar", dt.date(2026, 7, 7)), PARIS)
    assert afternoon[-1] == "11:30"
    holiday = local_starts(find_slots(paris, "esi-interlaminar", dt.date(2026, 7, 14)), PARIS)
    assert holiday[0] == "09:00" and holiday[-1] == "11:30"


def test_time_off_here_and_everywhere(db, paris, make_site, physician, frozen):
    """Time off at this site or at every site (site NULL) removes slots; time off elsewhere does not."""
    frozen(2026, 2, 20)
    other = make_site()
    doc = physician(paris, other)

    def off(day, site_id):
        start = dt.datetime.combine(day, dt.time(8), PARIS).astimezone(UTC)
        db.session.add(TimeOff(physician_id=doc.id, site_id=site_id, start_at=start, end_at=start + dt.timedelta(hours=10)))
        db.session.flush()

    off(dt.date(2026, 3, 2), None)
    off(dt.date(2026, 3, 3), paris.id)
    off(dt.date(2026, 3, 4), other.id)
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2)) == []
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 3)) == []
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 4))


def test_room_without_fluoroscopy_never_offered(make_site, physician, frozen):
    """Fluoroscopy-only procedures never go to an ultrasound room; the room's modalities decide."""
    frozen(2026, 2, 20)
    site = make_site(rooms=[("Echo", ["ultrasound"]), ("Fluoro", ["fluoroscopy"])])
    physician(site)
    echo, fluoro = site.rooms[0].id, site.rooms[1].id
    rooms = {s.room_id for s in find_slots(site, "esi-interlaminar", dt.date(2026, 3, 2), days=5)}
    assert rooms == {fluoro}
    assert {s.room_id for s in find_slots(site, "si-joint", dt.date(2026, 3, 2))} == {echo, fluoro}
    only_echo = make_site(rooms=[("Echo", ["ultrasound"])])
    physician(only_echo)
    assert find_slots(only_echo, "esi-interlaminar", dt.date(2026, 3, 2), days=14) == []


def test_inactive_room_and_unlinked_physician_are_not_offered(db, paris, make_site, physician, add_hours, frozen):
    """A physician with hours at a site they are not linked to, and an inactive room, give nothing."""
    frozen(2026, 2, 20)
    other = make_site()
    stranger = physician(other)
    add_hours(stranger, paris, 0, dt.time(8), dt.time(17))
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2)) == []
    physician(paris)
    paris.rooms[0].active = False
    db.session.flush()
    assert find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2)) == []


def test_minimum_notice_and_horizon(make_site, physician, frozen):
    """Nothing earlier than the notice or later than the horizon."""
    frozen(2026, 3, 2, 9, 0)     # Monday 10:00 in Paris
    site = make_site(min_notice_hours=24, horizon_days=30)
    physician(site)
    tomorrow = local_starts(find_slots(site, "esi-interlaminar", dt.date(2026, 3, 3)), PARIS)
    assert tomorrow[0] == "10:00"
    assert find_slots(site, "esi-interlaminar", dt.date(2026, 3, 2)) == []
    assert find_slots(site, "esi-interlaminar", dt.date(2026, 3, 31))          # 29 days ahead
    last = find_slots(site, "esi-interlaminar", dt.date(2026, 4, 1))           # the horizon's day
    assert last and max(s.start_at for s in last) <= dt.datetime(2026, 4, 1, 9, tzinfo=UTC)
    assert find_slots(site, "esi-interlaminar", dt.date(2026, 4, 2)) == []


def test_cross_site_booking_blocks_the_physician(make_site, paris, physician, book, frozen):
    """A physician booked at 09:00 at another site is not offered here from 08:45 to 09:30."""
    frozen(2026, 2, 20)
    other = make_site(code="other-paris")
    doc = physician(paris, other)
    book(other, "2026-03-02T09:00:00+01:00", physician=doc)
    starts = local_starts([s for s in find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2)) if s.physician_id == doc.id], PARIS)
    assert "08:15" in starts and "09:45" in starts
    assert not {"08:30", "08:45", "09:00", "09:15", "09:30"} & set(starts)


def test_booked_room_is_not_offered_to_another_physician(paris, physician, book, frozen):
    """The only fluoroscopy room booked at 09:00 is not offered to a second physician then."""
    frozen(2026, 2, 20)
    first = physician(paris)
    second = physician(paris)
    book(paris, "2026-03-02T09:00:00+01:00", physician=first)
    nine = [s for s in find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2))
            if s.start_at.astimezone(PARIS).strftime("%H:%M") == "09:00"]
    assert nine == []
    assert second.id


def test_physician_filter_and_unknown_procedure(paris, physician, frozen):
    """The physician filter keeps one physician; an unknown procedure is refused."""
    frozen(2026, 2, 20)
    a = physician(paris)
    physician(paris)
    assert {s.physician_id for s in find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2), physician_id=a.id)} == {a.id}
    with pytest.raises(UnknownProcedure):
        find_slots(paris, "no-such-procedure", dt.date(2026, 3, 2))


def test_sixty_days_use_the_same_number_of_queries_as_one(db, paris, physician, book, frozen):
    """The engine loads the range at once: 60 days run as many queries as 1 day."""
    frozen(2026, 2, 20)
    physician(paris)
    physician(paris)
    book(paris, "2026-03-02T09:00:00+01:00")
    db.session.flush()
    engine = db.session.get_bind()
    counts = []
    for days in (1, 60):
        statements = []

        def count(*_args, _s=statements):
            _s.append(1)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            slots = find_slots(paris, "esi-interlaminar", dt.date(2026, 3, 2), days=days)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert slots
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 6


def _overlaps(start, end, intervals):
    return any(s < end and start < e for s, e in intervals)


def test_fast_engine_matches_a_plain_overlap_check(db, make_site, physician, book, frozen):
    """Random time off (to the second) and bookings over 5 days: the engine offers exactly the
    slots of the empty calendar whose block (procedure and turnover) meets nothing busy of its
    physician or its room, checked here interval by interval without the engine's sweeps."""
    import random

    frozen(2026, 2, 20)
    site = make_site(rooms=[("Room A", ["fluoroscopy"]), ("Room B", ["fluoroscopy"])])
    doctors = [physician(site) for _ in range(3)]
    first = dt.date(2026, 3, 2)
    everything = find_slots(site, "esi-interlaminar", first, days=5)
    assert len({s.room_id for s in everything}) == 2 and len({s.physician_id for s in everything}) == 3
    rng = random.Random(20261125)  # noqa: S311 (a repeatable scenario, not a secret)
    busy_doc: dict[int, list] = {d.id: [] for d in doctors}
    for _ in range(12):
        doc = rng.choice(doctors)
        start = dt.datetime(2026, 3, 2, 6, tzinfo=UTC) + dt.timedelta(seconds=rng.randrange(5 * 86400))
        end = start + dt.timedelta(seconds=rng.randrange(60, 3 * 3600))
        db.session.add(TimeOff(physician_id=doc.id, site_id=site.id, start_at=start, end_at=end))
        busy_doc[doc.id].append((start, end))
    # Edges: time off ending on a start (10:00), and starting where a 14:00 block ends (14:40).
    for day in (2, 3):
        for start, end in (((9, 17, 23), (10, 0, 0)), ((14, 40, 0), (15, 5, 59))):
            edge = (dt.datetime(2026, 3, day, *start, tzinfo=PARIS).astimezone(UTC),
                    dt.datetime(2026, 3, day, *end, tzinfo=PARIS).astimezone(UTC))
            db.session.add(TimeOff(physician_id=doctors[0].id, site_id=site.id, start_at=edge[0], end_at=edge[1]))
            busy_doc[doctors[0].id].append(edge)
    db.session.flush()
    busy_room: dict[int, list] = {}
    offered = find_slots(site, "esi-interlaminar", first, days=5)
    for slot in rng.sample(offered, 15):
        if not find_slots(site, "esi-interlaminar", first, days=5, only_at=slot.start_at):
            continue
        appt = book(site, slot.start_at.isoformat())
        busy_doc[appt.physician_id].append((appt.start_at, appt.block_end_at))
        busy_room.setdefault(appt.room_id, []).append((appt.start_at, appt.block_end_at))
    turnover = dt.timedelta(minutes=site.turnover_minutes)
    expected = [s for s in everything
                if not _overlaps(s.start_at, s.end_at + turnover, busy_doc[s.physician_id])
                and not _overlaps(s.start_at, s.end_at + turnover, busy_room.get(s.room_id, []))]
    assert busy_room and len(expected) < len(everything)
    assert find_slots(site, "esi-interlaminar", first, days=5) == expected
    some = expected[len(expected) // 2].start_at
    assert find_slots(site, "esi-interlaminar", first, days=5, only_at=some) == [s for s in expected if s.start_at == some]
