"""The discharge clock as the pages render it (the case page next to the discharge items, the
clock's readings for its script, the day board and the worklist), in the reader's language; the
printable procedure report with the site's header, in the site's language, and the day list with
the site's header, in the reader's language (the front desk's sheet).

The clock is frozen (tick=False) so that the minutes are exact: the procedure ends 8 min 30 s
before the frozen instant, the observation lasts 15 min, so discharge is possible 6 min 30 s after
it: 7 min as the pages count them, at the minute rounded up."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from clinic.procedures import services
from clinic.procedures.views import discharge_time
from tests.clock import fixed_instant
from tests.web import csrf_token

T0 = fixed_instant().replace(microsecond=0)
ENDED = T0 - dt.timedelta(minutes=8, seconds=30)
DISCHARGE = ENDED + dt.timedelta(minutes=15)

WAIT = {"en": "Discharge possible at {time}, in {minutes} min", "fr": "Sortie possible à {time}, dans {minutes} min"}
BOARD = {"en": "discharge at {time}, {minutes} min left", "fr": "sortie à {time}, encore {minutes} min"}


def local_hhmm(instant: dt.datetime, site) -> str:
    """The local time, to the minute rounded up, as a person reads it on a clock."""
    up = instant + dt.timedelta(seconds=(60 - instant.second) % 60)
    return up.astimezone(site.tz).strftime("%H:%M")


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def monitored(make_case, make_user, complete_phase, frozen):
    """A case whose procedure ended at ENDED and whose monitoring items are recorded: only the
    observation time keeps the discharge items closed."""

    def make(site=None, monitoring=True):
        kw = {"site": site} if site is not None else {}
        appointment = make_case(start=T0 - dt.timedelta(minutes=40), **kw)
        nurse = make_user("nurse", sites=[appointment.site])
        physician = make_user("physician", sites=[appointment.site])
        complete_phase(appointment, "sign_in", nurse, physician, now=ENDED - dt.timedelta(minutes=30))
        complete_phase(appointment, "time_out", nurse, physician, now=ENDED - dt.timedelta(minutes=20))
        complete_phase(appointment, "procedure", nurse, physician, now=ENDED)
        if monitoring:
            complete_phase(appointment, "monitoring", nurse, physician, now=ENDED + dt.timedelta(minutes=5))
        case = services.load_case(appointment)
        assert case.checklist.procedure_ended_at == ENDED and case.discharge_from == DISCHARGE
        return appointment

    return make


def test_discharge_time_is_rounded_up_to_the_minute(paris):
    """An instant with seconds reads as the next minute; a whole minute as itself."""
    at = dt.datetime(2026, 12, 9, 9, 51, 30, tzinfo=dt.UTC)
    assert discharge_time(at, paris.tz) == "10:52"
    assert discharge_time(at.replace(second=0), paris.tz) == "10:51"
    assert discharge_time(None, paris.tz) == ""


@pytest.mark.parametrize("language", ["en", "fr"])
def test_case_page_shows_the_discharge_time_next_to_the_discharge_items(client, login, make_user, monitored,
                                                                        paris, language):
    """The clock sits in the discharge section, before its items, with the time and the minutes in
    the reader's language, the server's instant and the discharge instant for the script."""
    appointment = monitored()
    login(make_user("nurse", sites=[paris], language=language))
    html = client.get(f"/procedures/cases/{appointment.id}").get_data(as_text=True)
    text = WAIT[language].format(time=local_hhmm(DISCHARGE, paris), minutes=7)
    clock = re.search(r'<div class="discharge-clock[^"]*" id="discharge-clock"(.*?)</div>', html, re.S)
    assert clock and text in clock.group(0)
    section = html.index('id="phase-discharge-section"')
    assert section < clock.start() < html.index('id="item-vitals_stable"')
    assert f'data-server-now="{T0.strftime("%Y-%m-%dT%H:%M:%S")}.000Z"' in clock.group(1)
    assert f'data-discharge-from="{DISCHARGE.strftime("%Y-%m-%dT%H:%M:%S")}.000Z"' in clock.group(1)
    assert 'data-minutes-left="7"' in clock.group(1)
    assert "js/discharge-clock.js" in html and "<script>" not in html
    # The discharge items say until when they are closed, a time that does not go stale.
    closed = {"en": "Discharge possible at {time} (minimum observation 15 min).",
              "fr": "Sortie possible à {time} (surveillance minimale 15 min)."}[language]
    assert closed.format(time=local_hhmm(DISCHARGE, paris)) in html


def test_no_clock_before_the_end_of_the_procedure(client, login_as, make_case):
    """A case not yet in monitoring has no discharge clock."""
    appointment = make_case()
    login_as("nurse")
    html = client.get(f"/procedures/cases/{appointment.id}").get_data(as_text=True)
    assert "data-discharge-clock" not in html


def test_the_clock_reading_follows_the_server_clock(client, login_as, monitored, frozen, paris):
    """The clock's reading for the script: the server's instant, the discharge instant and its local
    time; once the observation time is over the case is ready for discharge."""
    appointment = monitored()
    login_as("nurse")
    reading = client.get(f"/procedures/cases/{appointment.id}/clock").get_json()
    assert reading.pop("version").startswith("in_procedure-monitoring-")
    assert reading == {
        "now": T0.strftime("%Y-%m-%dT%H:%M:%S") + ".000Z",
        "discharge_from": DISCHARGE.strftime("%Y-%m-%dT%H:%M:%S") + ".000Z",
        "time": local_hhmm(DISCHARGE, paris), "minutes_left": 7, "state": "monitoring",
        "observing": True, "overridden": False,
    }
    frozen.shift(dt.timedelta(minutes=6, seconds=29))
    assert client.get(f"/procedures/cases/{appointment.id}/clock").get_json()["minutes_left"] == 1
    frozen.shift(dt.timedelta(seconds=1))
    later = client.get(f"/procedures/cases/{appointment.id}/clock").get_json()
    assert later["minutes_left"] == 0 and later["state"] == "ready_for_discharge"


def test_the_clock_reading_is_for_clinicians_of_the_site(client, login_as, make_site, monitored, paris):
    """The front desk may not read it; a nurse of another site of the organisation gets 403."""
    appointment = monitored()
    login_as("front_desk")
    assert client.get(f"/procedures/cases/{appointment.id}/clock").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("nurse", sites=[make_site(organisation=paris.organisation)])
    assert client.get(f"/procedures/cases/{appointment.id}/clock").status_code == 403


def test_a_physician_ends_the_observation_early_with_a_reason_in_one_post(client, login, make_user, monitored,
                                                                          paris):
    """The physician sees the hint and the reason field on the discharge items; one post with a
    reason records the item before the end of the observation time, and the clock says so."""
    appointment = monitored()
    physician = make_user("physician", sites=[paris])
    login(physician)
    path = f"/procedures/cases/{appointment.id}"
    html = client.get(path).get_data(as_text=True)
    assert "A physician may record the discharge earlier, with a reason." in html
    assert 'name="vitals_stable-override_reason"' in html
    response = client.post(f"{path}/items/vitals_stable", data={
        "vitals_stable-value": "true", "vitals_stable-override_reason": "Stable, accompanied home",
        "vitals_stable-csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert services.load_case(appointment).entries["vitals_stable"].override_reason == "Stable, accompanied home"
    assert "Observation time overridden by a physician." in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_board_and_worklist_show_the_same_discharge_time(client, login, make_user, monitored, paris, language):
    """The day board and the physician's worklist show the time the case page shows."""
    appointment = monitored(monitoring=False)
    text = BOARD[language].format(time=local_hhmm(DISCHARGE, paris), minutes=7)
    login(make_user("nurse", sites=[paris], language=language))
    day = appointment.start_at.astimezone(paris.tz).date().isoformat()
    board = client.get(f"/procedures/board?site={paris.code}&date={day}").get_data(as_text=True)
    cell = re.search(rf'id="case-{appointment.id}".*?</td>', board, re.S).group(0)
    assert text in cell and f'data-discharge-time="{local_hhmm(DISCHARGE, paris)}"' in cell
    fragment = client.get(f"/procedures/board/fragment?site={paris.code}&date={day}").get_data(as_text=True)
    assert text in fragment
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(appointment.physician)
    appointment.physician.language = language
    worklist = client.get(f"/procedures/my-day?date={day}").get_data(as_text=True)
    assert text in worklist


# ---------------------------------------------------------------- printing


def _header(html: str) -> str:
    match = re.search(r'<p class="[^"]*print-site" id="print-site">(.*?)</p>', html, re.S)
    assert match, "no site header"
    return match.group(1)


@pytest.mark.parametrize(("site_name", "reader", "title", "button"), [
    ("paris", "en", "<h1>Compte rendu d'acte</h1>", "Imprimer"),
    ("minnesota", "fr", "<h1>Procedure report</h1>", "Print"),
])
def test_report_has_the_sites_header_in_the_sites_language(client, login, make_user, monitored, request,
                                                           site_name, reader, title, button):
    """The procedure report carries the site's name, address and phone, and is in the site's
    language whatever the reader's, with a Print button for the script to show."""
    site = request.getfixturevalue(site_name)
    appointment = monitored(site=site)
    login(make_user("physician", sites=[site], language=reader))
    html = client.get(f"/procedures/cases/{appointment.id}/report").get_data(as_text=True)
    header = _header(html)
    assert site.name in header and site.address in header and site.phone in header
    assert f'lang="{site.language}"' in html and title in html
    assert re.search(rf'<button type="button" class="primary" data-print hidden>{button}</button>', html)
    assert "js/print.js" in html


@pytest.mark.parametrize(("site_name", "reader", "title", "weekday"), [
    ("paris", "en", "<h1>Day list</h1>", "Wednesday"),
    ("minnesota", "fr", "<h1>Liste du jour</h1>", "mercredi"),
])
def test_day_list_prints_with_the_sites_header_in_the_readers_language(client, login, make_user, make_appointment,
                                                                     request, site_name, reader, title, weekday):
    """The day page links to its printable list; the list has the site's header and is in the
    language of the desk that prints it, with the day's appointments and no other day's."""
    site = request.getfixturevalue(site_name)
    day = dt.date(2026, 6, 10)   # a Wednesday
    shown = make_appointment(site=site, day=day, time=dt.time(9, 30), procedure_code="esi-interlaminar")
    other = make_appointment(site=site, day=day + dt.timedelta(days=1), time=dt.time(9, 30))
    login(make_user("front_desk", sites=[site], language=reader))
    page = client.get(f"/appointments/?site={site.code}&day={day}").get_data(as_text=True)
    link = re.search(r'<a class="button" id="print-day-list" href="([^"]+)">([^<]+)</a>', page)
    assert link and link.group(2) == ("Imprimer" if reader == "fr" else "Print")
    html = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    header = _header(html)
    assert site.name in header and site.address in header and site.phone in header
    assert title in html and weekday in html and f'lang="{reader}"' in html
    assert f'id="appointment-{shown.id}"' in html and f'id="appointment-{other.id}"' not in html
    assert shown.patient.last_name in html
