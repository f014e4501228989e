"""Availability follows every administration change at once (no cache): closures, openings on
public holidays, time off and new working hours change the slots find_slots offers."""

import datetime as dt

from clinic.scheduling import staffing
from clinic.scheduling.availability import find_slots
from clinic.sites import services as sites
from clinic.timeutil import local_to_utc
from tests.admin.conftest import NOW

PROCEDURE = "esi-interlaminar"
WEDNESDAY = dt.date(2026, 3, 11)
EASTER_MONDAY = dt.date(2026, 4, 6)


def _local_starts(slots, site):
    return [s.start_at.astimezone(site.tz) for s in slots]


def test_whole_day_closure_removes_every_slot(frozen, db, make_user, paris):
    """A closed day offers nothing; the day after is untouched."""
    make_user("physician", sites=[paris])
    assert find_slots(paris, PROCEDURE, WEDNESDAY, now=NOW)
    sites.add_exception(paris, WEDNESDAY, "closed", None, None, "Inventaire")
    assert find_slots(paris, PROCEDURE, WEDNESDAY, now=NOW) == []
    assert find_slots(paris, PROCEDURE, WEDNESDAY + dt.timedelta(days=1), now=NOW)


def test_part_day_closure_removes_only_those_hours(frozen, db, make_user, paris):
    """Closed from 14:00: morning slots stay, none overlaps the afternoon."""
    make_user("physician", sites=[paris])
    sites.add_exception(paris, WEDNESDAY, "closed", dt.time(14), dt.time(18), "Travaux")
    slots = find_slots(paris, PROCEDURE, WEDNESDAY, now=NOW)
    assert slots
    closed_from = local_to_utc(WEDNESDAY, dt.time(14), paris.tz)
    assert all(s.end_at <= closed_from for s in slots)
    assert any(s.start_at.astimezone(paris.tz).time() == dt.time(8) for s in slots)


def test_opening_on_public_holiday_offers_slots(frozen, db, make_user, paris):
    """Easter Monday offers nothing until the site is opened that day, then it does."""
    make_user("physician", sites=[paris])
    assert find_slots(paris, PROCEDURE, EASTER_MONDAY, now=NOW) == []
    sites.add_exception(paris, EASTER_MONDAY, "open", None, None, "Permanence")
    assert find_slots(paris, PROCEDURE, EASTER_MONDAY, now=NOW)


def test_time_off_removes_that_physicians_slots_that_day(frozen, db, make_user, paris):
    """A day off removes the physician from that day only; a colleague still has slots."""
    away = make_user("physician", sites=[paris])
    colleague = make_user("physician", sites=[paris])
    assert find_slots(paris, PROCEDURE, WEDNESDAY, physician_id=away.id, now=NOW)
    staffing.add_time_off(away, local_to_utc(WEDNESDAY, dt.time(0), paris.tz),
                          local_to_utc(WEDNESDAY + dt.timedelta(days=1), dt.time(0), paris.tz), "Congrès", None)
    assert find_slots(paris, PROCEDURE, WEDNESDAY, physician_id=away.id, now=NOW) == []
    assert all(s.physician_id != away.id for s in find_slots(paris, PROCEDURE, WEDNESDAY, now=NOW))
    assert any(s.physician_id == colleague.id for s in find_slots(paris, PROCEDURE, WEDNESDAY, now=NOW))
    assert find_slots(paris, PROCEDURE, WEDNESDAY + dt.timedelta(days=1), physician_id=away.id, now=NOW)


def test_new_hours_from_a_date_leave_earlier_slots_alone(frozen, db, make_user, paris):
    """Mornings only from 6 April: afternoons still offered on 1 April, not on 8 April."""
    physician = make_user("physician", sites=[paris])
    staffing.set_schedule(physician, paris, EASTER_MONDAY, {d: [(dt.time(8), dt.time(12))] for d in range(5)})
    before = _local_starts(find_slots(paris, PROCEDURE, dt.date(2026, 4, 1), physician_id=physician.id, now=NOW), paris)
    after = _local_starts(find_slots(paris, PROCEDURE, dt.date(2026, 4, 8), physician_id=physician.id, now=NOW), paris)
    assert any(t.hour >= 13 for t in before)
    assert after and all(t.hour < 12 for t in after)
