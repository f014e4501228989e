"""The booking flow without dead ends: the confirm step says everything that will be booked, the
appointment page re-sends the preparation, a move is confirmed after its new screening (at another
site of the organisation too), and a week with no free time says why."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web import booking_data as form_data
from tests.web import post_page as post

START = "2026-03-02T09:00:00+01:00"


@pytest.fixture(autouse=True)
def before_the_week(frozen):
    """Friday 20 February 2026: the week of 2 March is bookable."""
    frozen(2026, 2, 20)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" ,", ",")


@pytest.mark.parametrize("language, expected", [
    ("en", ("Epidural steroid injection, interlaminar", "Lumbar · Left · L4-L5", "Monday 2 March 2026 09:00",
            "stop on Wednesday, February 25, 2026, restart after Tuesday, March 3, 2026 at 9:30 AM")),
    ("fr", ("Lombaire · Gauche · L4-L5", "lundi 2 mars 2026 09:00",
            "arrêt le mercredi 25 février 2026, reprise après mardi 3 mars 2026 à 09:30", "5 jours")),
])
def test_confirm_step_repeats_the_booking_and_the_hold_dates(client, db, paris, make_user, login_as, make_patient,
                                                             language, expected):
    """The confirm step names procedure, region, side, levels, site and room, physician and the time on
    the site's clock, and each held medicine's stop and restart dates, in the reader's language,
    with no ISO instant and no finding code in the text."""
    doctor = make_user("physician", sites=[paris], name="Dr Claire Martin")
    desk = login_as("front_desk")
    desk.language = language
    db.session.commit()
    patient = make_patient(medications=["Eliquis 5 mg"])
    r = post(client, f"/appointments/book/{patient.id}", form_data(paris, start=START))
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    shown = text_of(html)
    for part in expected:
        assert part in shown
    assert doctor.name in shown and paris.rooms[0].name in shown and paris.name in shown
    assert not re.search(r"\d{4}-\d\d-\d\dT", shown) and "anticoagulant_hold" not in shown


def _booked(book, site, patient, start=START):
    appt = book(site, start, patient=patient, region="lumbar", side="left", levels=("L4-L5",))
    return appt


def test_reschedule_confirms_after_the_new_screening(client, db, paris, make_user, login_as, make_patient, book):
    """Picking a new time shows the confirm step with the hold dates computed for the new date, and
    nothing moves before it is confirmed; confirming moves it with those dates stored."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    appt = _booked(book, paris, make_patient(medications=["Eliquis 5 mg"]))
    db.session.commit()
    url = f"/appointments/{appt.id}/reschedule"
    r = post(client, url, {"site": paris.code, "physician": "", "week": "2026-03-09",
                           "start": "2026-03-10T09:00:00+01:00"})
    shown = text_of(r.get_data(as_text=True))
    assert r.status_code == 200 and "Confirm the new time" in shown and "Screening warnings" in shown
    assert "Tuesday 10 March 2026 09:00" in shown and "Current time Monday 2 March 2026 09:00" in shown
    assert "stop on Thursday, March 5, 2026, restart after Wednesday, March 11, 2026 at 9:30 AM" in shown
    db.session.expire_all()
    assert appt.start_at == dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    r = post(client, url, {"site": paris.code, "physician": "", "week": "2026-03-09",
                           "start": "2026-03-10T09:00:00+01:00", "confirm": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    assert appt.start_at == dt.datetime(2026, 3, 10, 8, tzinfo=dt.UTC)
    assert appt.medication_holds[0]["stop_on"] == "2026-03-05"


def test_reschedule_to_another_site_of_the_organisation(client, db, paris, make_site, make_user, login, make_patient,
                                                        book):
    """The move can go to another site of the organisation: its physicians are offered, the slot and
    the screening are that site's, and the reminders are planned again there."""
    from clinic.reminders.models import Reminder, ReminderStatus

    drouot = make_site(code="drouot-test", name="Clinique Test Drouot", organisation=paris.organisation)
    there = make_user("physician", sites=[drouot], name="Dr Anne Drouot")
    make_user("physician", sites=[paris])
    login(make_user("front_desk", sites=[paris, drouot]))
    appt = _booked(book, paris, make_patient(site=paris))
    db.session.commit()
    url = f"/appointments/{appt.id}/reschedule"
    html = post(client, url, {"site": drouot.code, "physician": "", "week": "2026-03-09", "search": "1"}
                ).get_data(as_text=True)
    assert "Dr Anne Drouot" in html and 'value="2026-03-10T09:00:00+01:00"' in html
    r = post(client, url, {"site": drouot.code, "physician": "", "week": "2026-03-09",
                           "start": "2026-03-10T09:00:00+01:00"})
    shown = text_of(r.get_data(as_text=True))
    assert "Clinique Test Drouot" in shown and "Dr Anne Drouot" in shown and "(Site" in shown
    r = post(client, url, {"site": drouot.code, "physician": "", "week": "2026-03-09",
                           "start": "2026-03-10T09:00:00+01:00", "confirm": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    assert appt.site_id == drouot.id and appt.physician_id == there.id and appt.room.site_id == drouot.id
    planned = db.session.query(Reminder).filter(Reminder.appointment_id == appt.id,
                                                Reminder.status == ReminderStatus.PLANNED).all()
    assert planned and {r.site_id for r in planned} == {drouot.id}


def test_reschedule_to_another_organisations_site_is_404(client, db, paris, make_organisation, make_site,
                                                          make_user, login, make_patient, book):
    """A site of another organisation is not there for the move, even for someone who works at both."""
    other = make_site(code="elsewhere", organisation=make_organisation())
    make_user("physician", sites=[paris])
    make_user("physician", sites=[other])
    login(make_user("front_desk", sites=[paris, other]))
    appt = _booked(book, paris, make_patient(site=paris))
    db.session.commit()
    url = f"/appointments/{appt.id}/reschedule"
    for extra in ({"search": "1"}, {"start": "2026-03-10T09:00:00+01:00", "confirm": "1"}):
        r = post(client, url, {"site": other.code, "physician": "", "week": "2026-03-09", **extra})
        assert r.status_code == 404
    assert "elsewhere" not in client.get(url).get_data(as_text=True)
    db.session.expire_all()
    assert appt.site_id == paris.id and appt.start_at == dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


def _confirmations(db, appt):
    from clinic.reminders.models import Reminder

    db.session.expire_all()
    return db.session.query(Reminder).filter(Reminder.appointment_id == appt.id,
                                             Reminder.kind == "confirmation").order_by(Reminder.id).all()


def test_resend_preparation_mails_the_sheet_and_invite_again(client, db, app, smtp_server, paris, make_user,
                                                            login_as, make_patient, book):
    """The appointment page offers the re-send (behind a confirmation question); one POST plans the
    confirmation again, audited, and the e-mail that arrives carries the sheet and the invite; the
    same form posted twice sends it once."""
    from email import policy
    from email.parser import BytesParser

    from clinic.audit.models import AuditEvent
    from clinic.reminders.dispatcher import dispatch_once

    make_user("physician", sites=[paris])
    login_as("front_desk")
    appt = _booked(book, paris, make_patient(medications=["Eliquis 5 mg"], language="en"))
    db.session.commit()
    page = client.get(f"/appointments/{appt.id}").get_data(as_text=True)
    assert f'action="/appointments/{appt.id}/resend-preparation"' in page and "data-confirm=" in page
    assert "Send the preparation again" in page
    data = {"form_key": "k" * 32}
    r = post(client, f"/appointments/{appt.id}/resend-preparation", data)
    assert r.status_code == 302
    assert "on their way to the patient again" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert post(client, f"/appointments/{appt.id}/resend-preparation", data).status_code == 302
    rows = _confirmations(db, appt)
    assert len(rows) == 2
    assert db.session.query(AuditEvent).filter(AuditEvent.action == "appointment.resend_preparation").count() == 1
    counts = dispatch_once(now=max(r.send_at for r in rows))
    assert counts.sent == 2 and len(smtp_server.messages) == 2
    again = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[-1][2])
    assert [a.get_filename() for a in again.iter_attachments()] == ["invite.ics"]
    assert "apixaban" in again.get_body(preferencelist=("plain",)).get_content()


def test_resend_is_refused_for_a_cancelled_or_past_appointment(client, db, paris, make_user, login_as,
                                                               make_patient, book, make_appointment):
    """A cancelled appointment, or one whose start has passed, is not offered the re-send, and a
    POST is refused with a message that says why; nothing is planned."""
    from clinic.scheduling import services

    make_user("physician", sites=[paris])
    desk = login_as("front_desk")
    cancelled = _booked(book, paris, make_patient())
    services.cancel(cancelled, "patient called", desk)
    past = make_appointment(paris, day=dt.date(2026, 2, 19), time=dt.time(10))   # yesterday, still "booked"
    db.session.commit()
    r = post(client, f"/appointments/{cancelled.id}/resend-preparation", {"form_key": "a" * 32})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "cancelled or over: there is no preparation to send" in html and "Send the preparation again" not in html
    r = post(client, f"/appointments/{past.id}/resend-preparation", {"form_key": "b" * 32})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "already started: there is no preparation to send" in html and "Send the preparation again" not in html
    assert len(_confirmations(db, cancelled)) == 1 and not _confirmations(db, past)


def test_resend_needs_csrf_and_is_404_for_another_organisation(client, db, paris, make_organisation, make_site,
                                                               make_user, login, make_patient, book):
    """Without the CSRF token nothing happens; a member of another organisation finds no such appointment."""
    make_user("physician", sites=[paris])
    appt = _booked(book, paris, make_patient(site=paris))
    other = make_site(code="other-org", organisation=make_organisation())
    db.session.commit()
    login(make_user("front_desk", sites=[paris]))
    assert client.post(f"/appointments/{appt.id}/resend-preparation", data={}).status_code == 400
    client.post("/logout", data={"csrf_token": ""})
    client.delete_cookie("session")
    login(make_user("front_desk", sites=[other]))
    assert post(client, f"/appointments/{appt.id}/resend-preparation", {"form_key": "c" * 32}).status_code == 404
    assert len(_confirmations(db, appt)) == 1


def _reasons(html: str) -> dict[str, str]:
    """Each day's reason on the week view: {data-reason: text}."""
    return {code: text.strip() for code, text in re.findall(r'data-reason="([a-z_]+)">([^<]*)<', html)}


@pytest.mark.parametrize("language, holiday, closed", [
    ("en", "Public holiday: Easter Monday.", "The site is closed: Works."),
    ("fr", "Jour férié : Lundi de Pâques.", "Le site est fermé : Works."),
])
def test_a_week_without_free_time_says_why(client, db, paris, make_user, login_as, make_patient, language,
                                           holiday, closed):
    """Easter Monday is named, a closure gives its reason, a day with a physician away says so, and
    a week too far ahead or too soon says that, in the reader's language."""
    from clinic.scheduling.models import TimeOff
    from clinic.sites.models import CalendarExceptionKind, SiteCalendarException

    doctor = make_user("physician", sites=[paris])
    db.session.add(SiteCalendarException(site_id=paris.id, day=dt.date(2026, 4, 7), reason="Works",
                                         kind=CalendarExceptionKind.CLOSED))
    db.session.add(TimeOff(physician_id=doctor.id, site_id=None, start_at=dt.datetime(2026, 4, 8, tzinfo=paris.tz),
                           end_at=dt.datetime(2026, 4, 9, tzinfo=paris.tz)))
    desk = login_as("front_desk")
    desk.language = language
    db.session.commit()
    url = f"/appointments/book/{make_patient().id}"
    html = post(client, url, form_data(paris, week="2026-04-06", search="1")).get_data(as_text=True)
    reasons = _reasons(html)
    assert reasons["holiday"] == holiday and reasons["closed"] == closed and "time_off" in reasons
    assert html.count('class="slot"') > 0   # Thursday and Friday are free
    far = post(client, url, form_data(paris, week="2026-07-06", search="1")).get_data(as_text=True)
    assert set(_reasons(far)) == {"beyond_horizon"} and "120" in _reasons(far)["beyond_horizon"]
    assert 'id="week-empty"' in far
    soon = post(client, url, form_data(paris, week="2026-02-16", search="1")).get_data(as_text=True)
    assert set(_reasons(soon)) == {"before_notice"} and "24" in _reasons(soon)["before_notice"]


def test_nobody_working_and_fully_booked_are_told_apart(client, db, paris, make_user, login_as, make_patient,
                                                        add_hours, book):
    """A physician with hours on Monday 09:00-09:30 only: Monday, once booked, is fully booked; the
    other days have no working hours."""
    doctor = make_user("physician", sites=[paris], hours=False)
    add_hours(doctor, paris, 0, dt.time(9), dt.time(9, 30))
    book(paris, START, physician=doctor)
    login_as("front_desk")
    db.session.commit()
    html = post(client, f"/appointments/book/{make_patient().id}", form_data(paris, search="1")).get_data(as_text=True)
    assert re.findall(r'data-reason="([a-z_]+)"', html) == ["full"] + ["no_hours"] * 4
    assert "Fully booked." in html and "No working hours on this day." in html


def test_the_reasons_cost_no_query(db, paris, make_user, make_patient, book):
    """The week's reasons come from the engine's own loads: as many queries for a week of
    closures, holidays and time off as for a free week."""
    import sqlalchemy as sa

    from clinic.scheduling.models import TimeOff
    from clinic.scheduling.week import week_of

    doctor = make_user("physician", sites=[paris])
    db.session.add(TimeOff(physician_id=doctor.id, site_id=None, start_at=dt.datetime(2026, 4, 8, tzinfo=paris.tz),
                           end_at=dt.datetime(2026, 4, 10, tzinfo=paris.tz)))
    book(paris, "2026-03-10T09:00:00+01:00")
    db.session.flush()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        free = week_of(paris, "esi-interlaminar", dt.date(2026, 3, 9))
        queries_free = len(statements)
        statements.clear()
        explained = week_of(paris, "esi-interlaminar", dt.date(2026, 4, 6))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert not free.empty and [d.code for d in explained.days][:4] == ["holiday", "", "time_off", "time_off"]
    assert len(statements) == queries_free <= 6


@pytest.mark.parametrize("language, refused", [
    ("en", "A no-show is recorded only for a booked appointment, once its start has passed."),
    ("fr", "Une absence ne s’enregistre que pour un rendez-vous réservé, une fois son heure passée."),
])
def test_no_show_is_not_offered_and_refused_before_the_start(client, db, paris, make_user, login_as, make_patient,
                                                             book, language, refused):
    """Before the start the page offers no no-show, and one posted anyway is refused in the reader's words."""
    from clinic.scheduling.models import AppointmentStatus

    make_user("physician", sites=[paris])
    desk = login_as("front_desk")
    desk.language = language
    appt = _booked(book, paris, make_patient())
    db.session.commit()
    assert f"/appointments/{appt.id}/no-show" not in client.get(f"/appointments/{appt.id}").get_data(as_text=True)
    r = post(client, f"/appointments/{appt.id}/no-show", {"form_key": "d" * 32})
    assert r.status_code == 302 and refused in client.get(r.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert appt.status == AppointmentStatus.BOOKED
