"""Site settings, public holidays and the site's own closures and openings."""

import datetime as dt

import pytest

from clinic.errors import ValidationFailed
from clinic.scheduling.affected import AppointmentsAffected
from clinic.sites import services as sites
from clinic.sites.models import SiteCalendarException

EASTER_MONDAY = dt.date(2026, 4, 6)


def _form(site, **changes):
    data = {"name": site.name, "address": site.address, "phone": site.phone, "timezone": site.timezone,
            "country": site.country, "subdivision": site.subdivision or "", "language": site.language,
            "policy": site.policy, "turnover_minutes": "10", "horizon_days": "120", "min_notice_hours": "24",
            "slot_interval_minutes": "15", "quiet_start": "21:00", "quiet_end": "08:00"}
    data.update(changes)
    return data


def test_site_settings_saved(db, client, login_as, minnesota, post_form):
    """Turnover, horizon and quiet hours are saved from the form."""
    login_as("admin")
    path = f"/admin/sites/{minnesota.id}/edit"
    response = post_form(path, _form(minnesota, turnover_minutes="20", quiet_start="20:30"), token_from=path)
    assert response.status_code == 302
    assert minnesota.turnover_minutes == 20 and minnesota.quiet_start == dt.time(20, 30)


@pytest.mark.parametrize("field,value", [("timezone", "Europe/Lutece"), ("country", "ZZ"), ("subdivision", "XX"),
                                         ("slot_interval_minutes", "3")])
def test_bad_site_settings_refused_as_typed(db, client, login_as, minnesota, post_form, field, value):
    """An unknown zone, country or subdivision, or a value out of range: 422, the form keeps the input."""
    login_as("admin")
    db.session.commit()
    path = f"/admin/sites/{minnesota.id}/edit"
    response = post_form(path, _form(minnesota, **{field: value}, name="Typed name"), token_from=path)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Typed name"' in html and f'value="{value}"' in html
    db.session.refresh(minnesota)
    assert minnesota.name != "Typed name"


def test_calendar_lists_public_holidays_in_site_language(frozen, db, client, login_as, paris, minnesota):
    login_as("admin")
    assert "Lundi de Pâques" in client.get(f"/admin/sites/{paris.id}/calendar").get_data(as_text=True)
    assert "Memorial Day" in client.get(f"/admin/sites/{minnesota.id}/calendar").get_data(as_text=True)


def test_closure_over_booking_refused_then_flagged(frozen, db, make_user, paris, book):
    """Closing an afternoon with a booking inside is refused, then flags it when confirmed."""
    physician = make_user("physician", sites=[paris])
    morning = book(physician, paris, dt.date(2026, 3, 11), dt.time(9))
    afternoon = book(physician, paris, dt.date(2026, 3, 11), dt.time(15))
    with pytest.raises(AppointmentsAffected) as refused:
        sites.add_exception(paris, dt.date(2026, 3, 11), "closed", dt.time(14), dt.time(18), "Works")
    assert refused.value.details["appointments"] == [afternoon.id]
    sites.add_exception(paris, dt.date(2026, 3, 11), "closed", dt.time(14), dt.time(18), "Works", confirm=True)
    assert afternoon.needs_reschedule and not morning.needs_reschedule


def test_opening_only_on_public_holidays(frozen, db, paris):
    with pytest.raises(ValidationFailed):
        sites.add_exception(paris, dt.date(2026, 4, 7), "open", None, None, "")
    opening = sites.add_exception(paris, EASTER_MONDAY, "open", None, None, "Permanence")
    assert opening.kind.value == "open"


def test_closing_a_holiday_again_with_bookings_needs_confirmation(frozen, db, make_user, paris, book):
    """Removing an opening on a public holiday strands that day's bookings: refused, then flagged."""
    opening = sites.add_exception(paris, EASTER_MONDAY, "open", None, None, "Permanence")
    physician = make_user("physician", sites=[paris])
    appointment = book(physician, paris, EASTER_MONDAY, dt.time(10))
    with pytest.raises(AppointmentsAffected):
        sites.remove_exception(paris, opening.id)
    sites.remove_exception(paris, opening.id, confirm=True)
    assert appointment.needs_reschedule is True
    assert db.session.get(SiteCalendarException, opening.id) is None


def test_calendar_page_adds_and_removes_closure(frozen, db, client, login_as, paris, post_form):
    """Adding is a POST with CSRF; removal asks first, then removes on POST."""
    login_as("admin")
    path = f"/admin/sites/{paris.id}/calendar"
    response = post_form(path, {"day": "2026-03-13", "kind": "closed", "reason": "Inventaire"}, token_from=path)
    assert response.status_code == 302
    closure = db.session.query(SiteCalendarException).filter_by(site_id=paris.id).one()
    assert "Inventaire" in client.get(path).get_data(as_text=True)
    remove = f"{path}/{closure.id}/remove"
    assert "Inventaire" in client.get(remove).get_data(as_text=True)
    assert client.post(remove).status_code in (200, 400)  # no CSRF token: nothing removed
    assert db.session.get(SiteCalendarException, closure.id) is not None
    assert post_form(remove, token_from=remove).status_code == 302
    assert db.session.get(SiteCalendarException, closure.id) is None


def test_mail_name_is_saved_and_a_health_word_refused(db, client, login_as, paris, post_form):
    """An admin sets the neutral name of messages; one that says what patients are treated for is
    refused with 422 naming the field, and the page shows the address's short form as the default."""
    paris.address = "Rue Bachaumont, 75002 Paris"
    login_as("admin")
    db.session.commit()
    path = f"/admin/sites/{paris.id}/edit"
    assert "Bachaumont, Paris 2e" in client.get(path).get_data(as_text=True)
    refused = post_form(path, _form(paris, mail_name="Infiltrations Bachaumont"), token_from=path)
    assert refused.status_code == 422 and paris.mail_name == ""
    assert "infiltrations" in refused.get_data(as_text=True).lower()
    saved = post_form(path, _form(paris, mail_name="Cabinet Bachaumont"), token_from=path)
    assert saved.status_code == 302 and paris.mail_name == "Cabinet Bachaumont"
