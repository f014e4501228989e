"""Staff pages on a 1024×768 tablet and patient pages on a 390×844 phone, in a real browser, in
French and in English: no page scrolls sideways, the top menu stays on one line, and every button
is at least 44 px high (a finger's target).

Staff pages are found as a user finds them: every link of the top menu and of each page reached
from it, for each demo role, up to a bound; downloads and sign-out are left out. Screenshots of
each patient page are written under tests/e2e/artifacts/ for a reviewer to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import use_language
from tests.e2e.patient_links import patient_links

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
TARGET_PX = 44
PAGES_PER_ROLE = 30
SKIP = re.compile(r"(logout|\.csv|\.ics|/export|/download|/api/|/static/|invite|/report\.pdf|#)")
SHOTS = {"/": "home", "/procedures/cases/id": "checklist", "/procedures/board": "board", "/appointments/id": "appointment"}
ROLES = [("admin", "en"), ("admin", "fr"), ("front_desk_fr", "fr"), ("front_desk_en", "en"), ("nurse_fr", "fr"),
         ("physician_en", "en"), ("physician_fr", "fr")]

# What a page measures of itself: sideways overflow, the menu's lines, and buttons under the target.
MEASURE = """(TARGET) => {
  const doc = document.documentElement;
  const short = [...document.querySelectorAll('button, .button, input[type=submit]')]
    .filter(el => el.offsetParent !== null && !el.closest('.visually-hidden'))
    .map(el => [el.textContent.trim().slice(0, 40) || el.value, el.getBoundingClientRect().height])
    .filter(([, h]) => h < TARGET);
  // The menu's items and the bar's own parts, by their vertical middle: one line means one middle.
  const middles = [...document.querySelectorAll('.topbar nav > ul > li, .topbar > *')]
    .filter(el => el.offsetParent !== null)
    .map(el => { const r = el.getBoundingClientRect(); return Math.round((r.top + r.height / 2) / 12); });
  const lines = new Set(middles).size;
  const nav = document.querySelector('.topbar nav > ul'), tools = document.querySelector('.topbar .tools');
  const crowded = !!(nav && tools) && nav.getBoundingClientRect().right + 8 > tools.getBoundingClientRect().left;
  return {overflow: doc.scrollWidth - doc.clientWidth, short, lines, crowded,
          links: [...document.querySelectorAll('a[href]')].map(a => a.href)};
}"""


def _problems(page, url: str) -> tuple[list[str], list[str]]:
    found = page.evaluate(MEASURE, TARGET_PX)
    problems = []
    if found["overflow"] > 0:
        problems.append(f"{url}: scrolls sideways by {found['overflow']} px")
    if found["lines"] > 1:
        problems.append(f"{url}: the top menu takes {found['lines']} lines")
    if found["crowded"]:
        problems.append(f"{url}: the top menu runs into the language and sign-out tools")
    problems += [f"{url}: button {text!r} is {height:.0f} px high" for text, height in found["short"]]
    return problems, found["links"]


@pytest.mark.parametrize("who, language", ROLES)
def test_staff_pages_fit_a_tablet(page, sign_in, live_server, who, language):
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(who)
    usual = page.locator("html").get_attribute("lang")
    use_language(page, language)
    try:
        _crawl(page, live_server, f"{who}-{language}")
    finally:
        page.goto(f"{live_server}/")
        use_language(page, usual)     # the demo user is left in the language it had


def _crawl(page, live_server, who: str) -> None:
    origin = urlsplit(live_server).netloc
    queue, seen, problems = [f"{live_server}/"], set(), []
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        path = urlsplit(url).path
        found, links = _problems(page, path)
        problems += found
        shot = SHOTS.get(re.sub(r"/\d+", "/id", path))
        if shot and not (ARTIFACTS / f"{shot}-{who}-1024.png").exists():
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{shot}-{who}-1024.png"), full_page=True)
        for href in links:
            parts = urlsplit(href)
            if parts.netloc == origin and not SKIP.search(href) and not parts.query and href not in seen:
                queue.append(href.split("#")[0])
    assert len(seen) >= 5, seen
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_patient_pages_fit_a_phone(page, live_app, live_server, language):
    page.set_viewport_size({"width": 390, "height": 844})
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    for name, url in patient_links(live_app, language).items():
        response = page.goto(url)
        assert response is not None and response.status == 200, (name, response and response.status)
        assert page.locator("html").get_attribute("lang") == language
        problems += _problems(page, name)[0]
        page.screenshot(path=str(ARTIFACTS / f"patient-{name}-{language}-390.png"), full_page=True)
    assert not problems, "\n".join(problems)
