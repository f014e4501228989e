"""The discharge clock in a real browser at 1024×768, in French and in English: it counts down
without a reload, from the server's time and the recorded end of the procedure.

The server's clock is frozen in the test and moved on by it (the live server runs in this process,
so it reads the test's clock); the browser's clock is Playwright's, set days off the server's (a
tablet whose clock is wrong) and moved on by the test. The page's script reads the server's clock
once a minute: the minutes shown follow the server's time, not the tablet's."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from clinic.extensions import db
from tests.e2e.conftest import sign_in_demo
from tests.e2e.procedure_cases import STAFF, make_case, site, walk

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"   # screenshots for a reviewer (ignored by git)

TEXT = {
    "fr": {"wait": "Sortie possible à {time}, dans {minutes} min", "over": "Surveillance écoulée : sortie possible maintenant.",
           "board": "sortie à {time}, encore {minutes} min"},
    "en": {"wait": "Discharge possible at {time}, in {minutes} min", "over": "Observation time over: discharge possible now.",
           "board": "discharge at {time}, {minutes} min left"},
}


def _local(instant: dt.datetime, tz) -> str:
    up = instant + dt.timedelta(seconds=(60 - instant.second) % 60)
    return up.astimezone(tz).strftime("%H:%M")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_discharge_clock_counts_down_without_a_reload(browser, live_server, live_app, language):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ended = now - dt.timedelta(minutes=8, seconds=30)   # 15 min of observation: discharge 6 min 30 s from now
    with time_machine.travel(now, tick=False) as server_clock:
        with live_app.app_context():
            appointment = make_case(language, now - dt.timedelta(minutes=45), f"Horloge{language.upper()}")
            walk(appointment, language, {"sign_in": ended - dt.timedelta(minutes=30),
                                         "time_out": ended - dt.timedelta(minutes=20), "procedure": ended,
                                         "monitoring": ended + dt.timedelta(minutes=4)})
            appointment_id, where = appointment.id, site(STAFF[language][0])
            tz, code = where.tz, where.code
            db.session.commit()
            db.session.remove()
        discharge = _local(ended + dt.timedelta(minutes=15), tz)
        text = TEXT[language]

        context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")  # the sign-in page in English; then the user's language
        try:
            # The tablet's clock is three days and 2 h 17 min ahead of the server's.
            context.clock.install(time=now + dt.timedelta(days=3, hours=2, minutes=17))
            page = sign_in_demo(context.new_page(), live_server, STAFF[language][1])

            page.goto(f"{live_server}/procedures/cases/{appointment_id}")
            clock = page.locator("#discharge-clock")
            shown = clock.locator("[data-clock-text]")
            expect(clock).to_have_attribute("data-live", "true")
            expect(shown).to_have_text(text["wait"].format(time=discharge, minutes=7))
            expect(page.locator("#discharge-clock-top [data-clock-text]")).to_have_text(
                text["wait"].format(time=discharge, minutes=7))
            expect(page.locator("#item-vitals_stable button.answer").first).to_be_disabled()
            expect(clock.locator("[data-clock-reload]")).to_be_hidden()
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator("#phase-discharge-section").screenshot(path=ARTIFACTS / f"discharge-clock-{language}.png")
            page.evaluate("window.stillTheSamePage = true")

            # The day board shows the same discharge time.
            board = context.new_page()
            board.goto(f"{live_server}/procedures/board?site={code}&date={now.astimezone(tz).date().isoformat()}")
            expect(board.locator(f"#case-{appointment_id} .case-status")).to_contain_text(
                text["board"].format(time=discharge, minutes=7))
            board.close()

            # The server's clock moves 3 minutes on; the tablet's moves one minute, to its next reading.
            server_clock.shift(dt.timedelta(minutes=3))
            page.clock.fast_forward(60_000)
            expect(shown).to_have_text(text["wait"].format(time=discharge, minutes=4))
            expect(clock).to_have_attribute("data-sync-count", "1")

            # Between readings the script counts on the tablet's clock, from the server's time.
            page.clock.fast_forward(30_000)
            expect(shown).to_have_text(text["wait"].format(time=discharge, minutes=3))
            assert page.evaluate("window.stillTheSamePage") is True

            # The observation time runs out on the server: the next reading says so.
            server_clock.shift(dt.timedelta(minutes=4))
            page.clock.fast_forward(40_000)
            expect(shown).to_have_text(text["over"])
            expect(clock).to_have_class(re.compile("clock-over"))
            assert page.evaluate("window.stillTheSamePage") is True

            # The discharge items open by themselves, without a reload.
            expect(page.locator("#item-vitals_stable button.answer").first).to_be_enabled()
            expect(page.locator("#item-vitals_stable")).to_have_attribute("data-open", "")
            expect(page.locator("#discharge-clock [data-clock-text]")).to_have_text(text["over"])
            assert page.evaluate("window.stillTheSamePage") is True

        finally:
            context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_day_board_counts_the_minutes_down_between_its_refreshes(browser, live_server, live_app, language):
    """The board's minutes left move with the tablet's clock from the server's time of the list,
    without the list being fetched again; the tablet's clock itself is days off. The countdown
    runs for seven minutes, past the longest refresh (5 minutes): the list's refreshes find the
    server unreachable, so only the page's own clock can take the minutes down to zero."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ended = now - dt.timedelta(minutes=8, seconds=30)
    with time_machine.travel(now, tick=False):
        with live_app.app_context():
            appointment = make_case(language, now - dt.timedelta(minutes=45), f"Tableau{language.upper()}")
            walk(appointment, language, {"sign_in": ended - dt.timedelta(minutes=30),
                                         "time_out": ended - dt.timedelta(minutes=20), "procedure": ended})
            appointment_id, where = appointment.id, site(STAFF[language][0])
            tz, code = where.tz, where.code
            db.session.commit()
            db.session.remove()
        discharge, text = _local(ended + dt.timedelta(minutes=15), tz), TEXT[language]
        context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
        try:
            context.clock.install(time=now - dt.timedelta(days=5, minutes=41))
            board = sign_in_demo(context.new_page(), live_server, STAFF[language][1])
            board.goto(f"{live_server}/procedures/board?site={code}&date={now.astimezone(tz).date().isoformat()}"
                       "&refresh=300")
            refreshes: list[str] = []

            def unreachable(route) -> None:
                refreshes.append(route.request.url)
                route.abort()

            board.route("**/procedures/board/fragment*", unreachable)
            minutes = board.locator(f"#case-{appointment_id} [data-countdown]")
            expect(minutes).to_have_text(text["board"].format(time=discharge, minutes=7))
            board.clock.fast_forward(60_000)
            expect(minutes).to_have_text(text["board"].format(time=discharge, minutes=6))
            board.clock.fast_forward(6 * 60_000)
            expect(minutes).to_have_attribute("data-minutes-left", "0")
            assert board.locator("#board").get_attribute("data-refresh-count") is None   # never replaced
            assert len(refreshes) <= 1                # the one 5-minute refresh that fell due, refused
        finally:
            context.close()
