"""Time off: refused over booked appointments (listed), saved with confirmation and flagged."""

import datetime as dt

import pytest

from clinic.scheduling import staffing
from clinic.scheduling.affected import AppointmentsAffected
from clinic.scheduling.models import TimeOff
from clinic.timeutil import local_to_utc

WEDNESDAY = dt.date(2026, 3, 4)


def _day_off_form(physician_id_site=0, day=WEDNESDAY, **extra):
    data = {"site": str(physician_id_site), "start_date": day.isoformat(), "end_date": day.isoformat(),
            "reason": "Congress"}
    data.update(extra)
    return data


def test_time_off_over_booking_refused_with_appointment_listed(frozen, db, client, login_as, make_user, paris,
                                                               book, post_form):
    """A whole day off over a booked appointment answers 409 and lists it; nothing is saved."""
    login_as("admin")
    physician = make_user("physician", sites=[paris])
    appointment = book(physician, paris, WEDNESDAY, dt.time(10))
    db.session.commit()  # the refused change rolls the session back; keep the setup
    path = f"/admin/physicians/{physician.id}/time-off"
    response = post_form(path, _day_off_form(), token_from=path)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"/appointments/{appointment.id}" in html and appointment.patient.last_name in html
    assert 'value="Congress"' in html  # the form keeps what was typed
    assert db.session.query(TimeOff).filter_by(physician_id=physician.id).count() == 0
    db.session.refresh(appointment)
    assert appointment.needs_reschedule is False


def test_confirmed_time_off_puts_appointment_on_to_reschedule_list(frozen, db, client, login_as, make_user, paris,
                                                                   book, post_form, login):
    """Confirming saves the time off, flags the appointment and shows it to the front desk."""
    login_as("admin")
    physician = make_user("physician", sites=[paris])
    appointment = book(physician, paris, WEDNESDAY, dt.time(10))
    db.session.commit()  # the refused change rolls the session back; keep the setup
    path = f"/admin/physicians/{physician.id}/time-off"
    response = post_form(path, _day_off_form(confirm="y"), token_from=path)
    assert response.status_code == 302
    db.session.refresh(appointment)
    assert appointment.needs_reschedule is True
    assert db.session.query(TimeOff).filter_by(physician_id=physician.id).count() == 1
    client.get("/login")
    desk = make_user("front_desk", sites=[paris])
    post_form("/logout", token_from="/")
    login(desk)
    html = client.get("/admin/to-reschedule").get_data(as_text=True)
    assert f"/appointments/{appointment.id}" in html


def test_part_of_day_off_spares_appointments_outside_it(frozen, db, make_user, paris, book):
    """An afternoon off leaves a morning appointment alone."""
    physician = make_user("physician", sites=[paris])
    morning = book(physician, paris, WEDNESDAY, dt.time(9))
    staffing.add_time_off(physician, local_to_utc(WEDNESDAY, dt.time(13), paris.tz),
                          local_to_utc(WEDNESDAY, dt.time(17), paris.tz), "dentist", paris)
    assert morning.needs_reschedule is False


def test_time_off_at_one_site_spares_other_sites(frozen, db, make_user, paris, make_site, book):
    """Time off at one site does not touch the physician's bookings at another."""
    other = make_site(code="paris-other")
    physician = make_user("physician", sites=[paris, other])
    elsewhere = book(physician, other, WEDNESDAY, dt.time(10))
    staffing.add_time_off(physician, local_to_utc(WEDNESDAY, dt.time(0), paris.tz),
                          local_to_utc(WEDNESDAY + dt.timedelta(days=1), dt.time(0), paris.tz), "", paris)
    assert elsewhere.needs_reschedule is False
    with pytest.raises(AppointmentsAffected):
        staffing.add_time_off(physician, local_to_utc(WEDNESDAY, dt.time(0), paris.tz),
                              local_to_utc(WEDNESDAY + dt.timedelta(days=1), dt.time(0), paris.tz), "", None)


def test_cancelled_and_past_appointments_are_not_affected(frozen, db, make_user, paris, book):
    """Only active, coming appointments count."""
    physician = make_user("physician", sites=[paris])
    cancelled = book(physician, paris, WEDNESDAY, dt.time(10), status="cancelled")
    past = book(physician, paris, dt.date(2026, 2, 27), dt.time(10))
    # Unconfirmed: an appointment that counted would refuse the time off (AppointmentsAffected).
    time_off = staffing.add_time_off(physician, local_to_utc(dt.date(2026, 2, 27), dt.time(0), paris.tz),
                                     local_to_utc(dt.date(2026, 3, 5), dt.time(0), paris.tz), "leave", None)
    assert db.session.query(TimeOff).filter_by(physician_id=physician.id).one() is time_off
    assert cancelled.needs_reschedule is False and past.needs_reschedule is False


def test_time_off_with_end_before_start_keeps_form(frozen, db, client, login_as, make_user, paris, post_form):
    """A last day before the first answers 422 with the fields as typed."""
    login_as("admin")
    physician = make_user("physician", sites=[paris])
    db.session.commit()
    path = f"/admin/physicians/{physician.id}/time-off"
    response = post_form(path, _day_off_form(end_date="2026-03-01", reason="Typo here"), token_from=path)
    assert response.status_code == 422
    assert 'value="Typo here"' in response.get_data(as_text=True)


def test_removing_time_off_needs_confirmation(frozen, db, client, login_as, make_user, paris, post_form):
    """GET asks; POST with the CSRF token removes."""
    login_as("admin")
    physician = make_user("physician", sites=[paris])
    absence = staffing.add_time_off(physician, local_to_utc(WEDNESDAY, dt.time(0), paris.tz),
                                    local_to_utc(WEDNESDAY, dt.time(12), paris.tz), "", None)
    path = f"/admin/physicians/{physician.id}/time-off/{absence.id}/remove"
    assert client.get(path).status_code == 200
    assert db.session.get(TimeOff, absence.id) is not None
    assert post_form(path, token_from=path).status_code == 302
    assert db.session.get(TimeOff, absence.id) is None
