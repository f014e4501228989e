"""The top menu on a 1024×768 tablet, in French and in English, for the admin, the front desk and
the physician: one row (the bar is one line high and nothing in it wraps), no sideways scroll, and
the pages beyond the bar in one disclosure, grouped under headings, that opens and is walked with
the keyboard and stays on the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import use_language

pytestmark = pytest.mark.browser
WHO = ["admin", "front_desk_fr", "front_desk_en", "physician_fr", "physician_en"]
ONE_ROW_PX = 64          # the bar's padding around one line of 44-pixel targets
DISCLOSURE = {("admin", "en"): "Administration", ("admin", "fr"): "Administration"}
HEADINGS = {"en": ["Sites and schedules", "Staff", "Records and messages", "Reports and reference"],
            "fr": ["Sites et plannings", "Personnel", "Journaux et messages", "Rapports et référentiels"]}

MEASURE = """() => {
  const bar = document.querySelector('.topbar'), doc = document.documentElement;
  // One row: every item of the bar has its vertical middle on the same line (to a few pixels).
  const tops = [...document.querySelectorAll('.topbar nav > ul > li, .topbar .tools > *, .topbar > *')]
    .filter(el => el.offsetParent !== null)
    .map(el => { const r = el.getBoundingClientRect(); return Math.round((r.top + r.height / 2) / 12); });
  const panel = document.querySelector('.topbar .menu-panel');
  const box = panel && panel.offsetParent !== null ? panel.getBoundingClientRect() : null;
  return {height: bar.getBoundingClientRect().height, tops: [...new Set(tops)], scroll: doc.scrollWidth,
          client: doc.clientWidth, panel: box && {left: box.left, right: box.right, bottom: box.bottom}};
}"""


@pytest.fixture
def tablet(page):
    page.set_viewport_size({"width": 1024, "height": 768})
    return page


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("who", WHO)
def test_the_menu_is_one_row_and_its_disclosure_works_from_the_keyboard(tablet, live_server, sign_in, who, language):
    page = tablet
    sign_in(who)
    usual = page.locator("html").get_attribute("lang")
    use_language(page, language)
    try:
        for path in ("/", "/appointments/"):
            page.goto(f"{live_server}{path}")
            m = page.evaluate(MEASURE)
            assert m["height"] <= ONE_ROW_PX and len(m["tops"]) == 1, (path, m)
            assert m["scroll"] <= m["client"], (path, m)

        summary = page.locator("header nav summary")
        expect(summary).to_have_count(1)
        if who == "admin":
            expect(summary).to_have_text(DISCLOSURE[(who, language)])
        first = page.locator("header nav .menu-panel a").first
        expect(first).to_be_hidden()
        summary.focus()
        page.keyboard.press("Enter")
        expect(first).to_be_visible()
        page.keyboard.press("Tab")
        expect(first).to_be_focused()
        if who == "admin":
            expect(page.locator("header nav .menu-heading")).to_have_text(HEADINGS[language])
        m = page.evaluate(MEASURE)
        assert m["panel"] and m["panel"]["left"] >= 0 and m["panel"]["right"] <= m["client"], m
        assert m["panel"]["bottom"] <= 768 and m["scroll"] <= m["client"], m
        href = first.get_attribute("href")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server}{href}")
        expect(page.locator("h1").first).to_be_visible()
    finally:
        page.goto(f"{live_server}/")
        use_language(page, usual)     # the demo user is left in the language it had
