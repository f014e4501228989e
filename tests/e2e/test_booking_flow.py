"""The booking flow in a real browser, in English and in French: the confirm step repeats the
booking and the blood-thinner's stop and restart dates, a move shows the new dates before it is
confirmed, a no-show is refused before the start, and a week without free time says why."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from clinic.sites.holidays import public_holiday
from tests.clock import fixed_instant

pytestmark = pytest.mark.browser

ISO_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")

# What each reader sees: the demo desk, a patient taking apixaban, the site, and the page's words.
READERS = {
    "en": dict(who="front_desk_en", patient="Larson", full="Larson, Karen", site="iSpine Pain Physicians, Chaska",
               words=dict(search_box="Name, e-mail, phone or birth date", search="Search", book="Book an appointment",
                          region="Region", side="Side", levels="Levels", care="Weeks of conservative care so far",
                          week="Week of", find="Find free times", confirm="Confirm booking", booked="Appointment booked.",
                          reschedule="Reschedule", confirm_move="Confirm the new time", moved="Appointment moved.",
                          facts="Lumbar · Left · L4-L5", stop="stop on", restart="restart after", no_show="No-show",
                          refused="A no-show is recorded only for a booked appointment, once its start has passed.",
                          holiday="Public holiday: {name}.", far="Too far ahead"),
               calendar=SimpleNamespace(country="US", subdivision="MN")),
    "fr": dict(who="front_desk_fr", patient="Laurent", full="Laurent, Isabelle", site="Bachaumont Radiology",
               words=dict(search_box="Nom, e-mail, téléphone ou date de naissance", search="Rechercher",
                          book="Prendre rendez-vous", region="Région", side="Côté", levels="Niveaux",
                          care="Semaines de traitement conservateur jusqu'ici", week="Semaine du",
                          find="Chercher les créneaux libres", confirm="Confirmer la réservation",
                          booked="Rendez-vous réservé.", reschedule="Déplacer", confirm_move="Confirmer le nouvel horaire",
                          moved="Rendez-vous déplacé.", facts="Lombaire · Gauche · L4-L5", stop="arrêt le",
                          restart="reprise après", no_show="Absent",
                          refused="Une absence ne s’enregistre que pour un rendez-vous réservé, une fois son heure passée.",
                          holiday="Jour férié : {name}.", far="Trop loin"),
               calendar=SimpleNamespace(country="FR", subdivision=None)),
}


# The weeks are counted from the suite's clock, which `make test-clock` moves by months.
FIRST_DAY, LAST_DAY = 21, 112       # far enough for the holds, within the demo sites' 120-day horizon


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _holiday_week(language: str) -> tuple[dt.date, str | None]:
    """The Monday of the first week ahead with a public holiday on a weekday at the reader's site,
    and the reason the page gives for that day. Some clocks have none within the horizon (from early
    November 2027, Paris's next weekday holiday is Easter Monday 2028): then the first week ahead,
    and no reason (the test client's tests name the holidays at a fixed date)."""
    reader, today = READERS[language], fixed_instant().date()
    for offset in range(FIRST_DAY, LAST_DAY):
        day = today + dt.timedelta(days=offset)
        name = public_holiday(reader["calendar"], day, language) if day.weekday() < 5 else None
        if name:
            return _monday(day), reader["words"]["holiday"].format(name=name)
    return _monday(today + dt.timedelta(days=FIRST_DAY + 7)), None


def _booking_page(page, reader):
    w = reader["words"]
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_label(w["search_box"]).fill(reader["patient"])
    page.get_by_role("button", name=w["search"]).click()
    page.get_by_role("link", name=reader["full"]).click()
    page.get_by_role("link", name=w["book"]).click()
    page.get_by_label("Site", exact=True).select_option(label=reader["site"])
    page.get_by_label(w["region"], exact=True).select_option("lumbar")
    page.get_by_label(w["side"], exact=True).select_option("left")
    page.get_by_label(w["levels"]).fill("L4-L5")
    page.get_by_label(w["care"]).fill("8")


def _search_week(page, reader, monday: str):
    w = reader["words"]
    page.get_by_label(w["week"], exact=True).fill(monday)
    page.get_by_role("button", name=w["find"]).click()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_book_confirm_then_move_with_the_dates_shown(page, live_server, sign_in, language):
    """Book through the confirm step (procedure, region, side, levels, site, physician, time, and
    apixaban's stop and restart dates, no ISO instant), see no no-show button before the start and
    have a forced one refused, then move the appointment seeing the new dates before confirming."""
    reader = READERS[language]
    w = reader["words"]
    sign_in(reader["who"])
    _booking_page(page, reader)
    monday, reason = _holiday_week(language)
    _search_week(page, reader, monday.isoformat())
    if reason is not None:
        expect(page.locator('[data-reason="holiday"]').filter(has_text=reason)).to_have_count(1)
    page.locator("button.slot").first.click()

    main = page.locator("main")
    expect(main.locator("dd.region")).to_have_text(w["facts"])
    expect(main.locator("dd.site")).to_contain_text(reader["site"])
    expect(main.locator("dd.physician")).not_to_be_empty()
    expect(main.locator("strong.when")).to_contain_text(re.compile(f"{monday.year}|{(monday + dt.timedelta(days=4)).year}"))
    stop = main.locator("ul.holds .stop").first
    expect(stop).to_contain_text(w["stop"])
    expect(main.locator("ul.holds .restart").first).to_contain_text(w["restart"])
    expect(main).not_to_contain_text(ISO_INSTANT)
    booked_stop = stop.text_content()
    page.get_by_role("button", name=w["confirm"]).click()
    expect(page.get_by_text(w["booked"])).to_be_visible()

    # Before the start there is no no-show button, and a no-show posted anyway is refused.
    expect(page.get_by_role("button", name=w["no_show"], exact=True)).to_have_count(0)
    page.evaluate("""() => {
        const form = document.createElement("form");
        form.method = "post";
        form.action = location.pathname + "/no-show";
        const token = document.querySelector('input[name="csrf_token"]').value;
        form.innerHTML = `<input name="csrf_token" value="${token}"><input name="form_key" value="${"n".repeat(32)}">`;
        document.body.append(form);
        form.submit();
    }""")
    expect(page.get_by_text(w["refused"])).to_be_visible()
    expect(page.locator(".status")).not_to_have_class(re.compile("status-no_show"))

    page.get_by_role("link", name=w["reschedule"], exact=True).click()
    later = monday + dt.timedelta(days=7)
    moved_to = later if later < fixed_instant().date() + dt.timedelta(days=LAST_DAY) else monday - dt.timedelta(days=7)
    _search_week(page, reader, moved_to.isoformat())
    page.locator("button.slot").first.click()
    expect(page.get_by_role("heading", name=w["confirm_move"])).to_be_visible()
    new_stop = page.locator("main ul.holds .stop").first
    expect(new_stop).to_contain_text(w["stop"])
    expect(new_stop).not_to_have_text(booked_stop)
    expect(main.locator("strong.when")).to_contain_text(
        re.compile(f"{moved_to.year}|{(moved_to + dt.timedelta(days=4)).year}"))
    expect(main).not_to_contain_text(ISO_INSTANT)
    page.get_by_role("button", name=w["confirm_move"]).click()
    expect(page.get_by_text(w["moved"])).to_be_visible()
    expect(page.locator("ul.holds .stop").first).not_to_have_text(booked_stop)   # the appointment's own dates


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_week_with_no_free_time_says_why(page, live_server, sign_in, language):
    """A week beyond the booking horizon has no free time, and each day says it is too far ahead."""
    reader = READERS[language]
    sign_in(reader["who"])
    _booking_page(page, reader)
    _search_week(page, reader, _monday(fixed_instant().date() + dt.timedelta(days=140)).isoformat())
    expect(page.locator("#week-empty")).to_be_visible()
    expect(page.locator("button.slot")).to_have_count(0)
    reasons = page.locator('[data-reason="beyond_horizon"]')
    expect(reasons).to_have_count(5)
    expect(reasons.first).to_contain_text(reader["words"]["far"])
