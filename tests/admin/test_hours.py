"""Working hours: a schedule valid from a date leaves earlier dates alone; changes that strand
bookings are refused unless confirmed."""

import datetime as dt

import pytest

from clinic.errors import ValidationFailed
from clinic.scheduling import staffing
from clinic.scheduling.affected import AppointmentsAffected

T = dt.time
LATER = dt.date(2026, 4, 6)  # a Monday a month ahead
MORNINGS = {d: [(T(8), T(12))] for d in range(5)}


def test_schedule_from_later_date_changes_nothing_before_it(frozen, db, make_user, paris):
    """Mornings only from April: March keeps 08:00-17:00, April has the new hours."""
    physician = make_user("physician", sites=[paris])
    staffing.set_schedule(physician, paris, LATER, MORNINGS)
    assert staffing.hours_on(physician.id, paris.id, dt.date(2026, 3, 30)) == [(T(8), T(17))]
    assert staffing.hours_on(physician.id, paris.id, LATER - dt.timedelta(days=1)) == []  # a Sunday
    assert staffing.hours_on(physician.id, paris.id, dt.date(2026, 2, 2)) == [(T(8), T(17))]
    assert staffing.hours_on(physician.id, paris.id, LATER) == [(T(8), T(12))]
    assert staffing.hours_on(physician.id, paris.id, dt.date(2026, 6, 1)) == [(T(8), T(12))]


def test_booking_before_the_new_schedule_is_not_affected(frozen, db, make_user, paris, book):
    """An afternoon appointment in March survives a mornings-only schedule from April."""
    physician = make_user("physician", sites=[paris])
    march = book(physician, paris, dt.date(2026, 3, 10), T(15))
    staffing.set_schedule(physician, paris, LATER, MORNINGS)
    assert march.needs_reschedule is False


def test_booking_outside_new_hours_refused_then_flagged_on_confirmation(frozen, db, make_user, paris, book):
    """An April afternoon booking blocks the mornings-only schedule until confirmed."""
    physician = make_user("physician", sites=[paris])
    april = book(physician, paris, dt.date(2026, 4, 7), T(15))
    with pytest.raises(AppointmentsAffected) as refused:
        staffing.set_schedule(physician, paris, LATER, MORNINGS)
    assert refused.value.details["appointments"] == [april.id]
    staffing.set_schedule(physician, paris, LATER, MORNINGS, confirm=True)
    assert april.needs_reschedule is True


def test_breaks_split_a_day(frozen, db, make_user, paris, book):
    """A booking in a new lunch break is affected; one inside an interval is not."""
    physician = make_user("physician", sites=[paris])
    lunch = book(physician, paris, dt.date(2026, 4, 7), T(12, 15))
    morning = book(physician, paris, dt.date(2026, 4, 8), T(9))
    pattern = {d: [(T(8), T(12)), (T(13), T(17))] for d in range(5)}
    with pytest.raises(AppointmentsAffected) as refused:
        staffing.set_schedule(physician, paris, LATER, pattern)
    assert refused.value.details["appointments"] == [lunch.id]
    assert morning.needs_reschedule is False


def test_overlapping_intervals_refused(frozen, db, make_user, paris):
    physician = make_user("physician", sites=[paris])
    with pytest.raises(ValidationFailed):
        staffing.set_schedule(physician, paris, LATER, {0: [(T(8), T(12)), (T(11), T(14))]})


def test_hours_page_saves_and_keeps_typing_on_error(frozen, db, client, login_as, make_user, paris, post_form):
    """The form saves a pattern with breaks, and re-renders a bad one as typed with a 422."""
    login_as("admin")
    physician = make_user("physician", sites=[paris])
    db.session.commit()
    path = f"/admin/physicians/{physician.id}/hours?site={paris.id}"
    form = {"site": str(paris.id), "valid_from": LATER.isoformat(), "day0": "08:00-12:00, 13:00-18:00"}
    assert post_form(path, form, token_from=path).status_code == 302
    assert staffing.hours_on(physician.id, paris.id, LATER) == [(T(8), T(12)), (T(13), T(18))]
    assert staffing.hours_on(physician.id, paris.id, LATER + dt.timedelta(days=1)) == []
    bad = post_form(path, {**form, "day1": "8h-midi"}, token_from=path)
    assert bad.status_code == 422
    assert 'value="8h-midi"' in bad.get_data(as_text=True)


def test_week_calendar_shows_hours_holiday_time_off_and_bookings(frozen, db, client, login_as, make_user, paris,
                                                                 book):
    """Easter Monday 2026 in Paris, a booking and time off all show on the week page."""
    login_as("admin")
    physician = make_user("physician", sites=[paris])
    appointment = book(physician, paris, dt.date(2026, 4, 8), T(9))
    from clinic.timeutil import local_to_utc

    staffing.add_time_off(physician, local_to_utc(dt.date(2026, 4, 9), T(8), paris.tz),
                          local_to_utc(dt.date(2026, 4, 9), T(12), paris.tz), "Formation", None)
    html = client.get(f"/admin/physicians/{physician.id}/week?start=2026-04-08").get_data(as_text=True)
    assert "Lundi de Pâques" in html
    assert f"/appointments/{appointment.id}" in html
    assert "Formation" in html and "08:00" in html
