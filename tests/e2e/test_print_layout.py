"""The printed procedure report and day list on A4 and on Letter, in French and in English.

Printing lays a page out within the 12 mm margins of the stylesheet's @page rule: 186 mm across A4
(703 CSS px) and 192 mm across Letter (725 CSS px). With print media emulated at those widths,
nothing may stick out (scrollWidth, and every element's right edge); Chromium's PDF of the page
then has the expected number of pages, and prints neither the menu nor a button nor a form."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from clinic.extensions import db
from clinic.scheduling.models import AppointmentStatus
from tests.e2e.conftest import sign_in_demo
from tests.e2e.procedure_cases import STAFF, make_case, site, walk

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"   # the PDFs, for a reviewer to look at (ignored by git)

MM_PER_INCH, PX_PER_INCH = 25.4, 96
MARGIN_MM = 12
PAPER_WIDTH_MM = {"A4": 210, "Letter": 215.9}
DAY = dt.date(2031, 3, 12)   # a Wednesday no other test books
ROWS = 24                    # appointments on the printed day list


FLAGGED_EVERY = 4            # every fourth line of the day list carries each of the desk's flags
HOLD = {"drug": "clopidogrel", "drug_fr": "clopidogrel", "stop_on": "2031-03-07", "restart_after": None, "note": "",
        "action": "stop", "risk": "high"}


def flag(appointment) -> None:
    """Every flag of the desk's list on one line: a blood thinner to stop, sedation, diabetes, allergies, a phone."""
    appointment.sedation = True
    appointment.medication_holds = [HOLD]
    appointment.patient.phone = "+33612345678"
    appointment.patient.conditions = ["diabetes"]
    appointment.patient.allergies = ["iodinated_contrast", "latex"]


def printable_px(paper: str) -> int:
    return int((PAPER_WIDTH_MM[paper] - 2 * MARGIN_MM) / MM_PER_INCH * PX_PER_INCH)


def pdf_pages(pdf: bytes) -> int:
    counts = [int(n) for n in re.findall(rb"/Type /Pages\b[^>]*?/Count (\d+)", pdf)]
    assert counts, "no page tree in the PDF"
    return max(counts)


@pytest.fixture(scope="module")
def printed(live_app):
    """Per language: a signed case (its report) and a day list of ROWS appointments at the demo site."""
    made = {}
    with live_app.app_context():
        for language in ("fr", "en"):
            code = STAFF[language][0]
            where = site(code)
            start = dt.datetime.combine(DAY, dt.time(8), where.tz).astimezone(dt.UTC)
            case = make_case(language, start, f"Rapport-{language}-Montgomery-Vandenberghe")
            at = start + dt.timedelta(minutes=5)
            walk(case, language, {phase: at + dt.timedelta(minutes=10 * n) for n, phase in enumerate(
                ("sign_in", "time_out", "procedure"))})
            walk(case, language, {"monitoring": at + dt.timedelta(minutes=40), "discharge": at + dt.timedelta(minutes=60),
                                  "signature": at + dt.timedelta(minutes=65)})
            physician, room = case.physician, case.room
            for n in range(1, ROWS):
                row = make_case(language, start + dt.timedelta(minutes=20 * n),
                                f"Liste-{n:02d}-Montgomery-Vandenberghe-Delacroix",
                                status=AppointmentStatus.BOOKED, room=room, physician=physician, minutes=15)
                if n % FLAGGED_EVERY == 0:
                    flag(row)
            made[language] = (case.id, code)
        db.session.commit()
        db.session.remove()
    return made


@pytest.fixture
def signed_in(browser, live_server):
    contexts = []

    def do(who: str):
        context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
        contexts.append(context)
        return sign_in_demo(context.new_page(), live_server, who)

    yield do
    for context in contexts:
        context.close()


def measure(page, paper: str) -> dict:
    width = printable_px(paper)
    page.set_viewport_size({"width": width, "height": 1000})
    page.emulate_media(media="print")
    return page.evaluate("""() => {
        const visible = (el) => getComputedStyle(el).display !== "none" && el.getClientRects().length > 0;
        let right = 0, widest = "";
        for (const el of document.querySelectorAll("main *")) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > right) { right = r.right; widest = el.tagName + "." + el.className; }
        }
        const shown = (sel) => Array.from(document.querySelectorAll(sel)).filter(visible).length;
        return {scroll: document.documentElement.scrollWidth, right: Math.ceil(right), widest,
                menu: shown(".topbar"), buttons: shown("button, .button"), forms: shown("form"),
                header: document.querySelector("#print-site") ? document.querySelector("#print-site").innerText : ""};
    }""")


# The number of pages each print takes: the report of a whole checklist, and a day of ROWS appointments.
PAGES = {"report": 2, "day list": 2}
TITLE = {("report", "fr"): "Compte rendu d'acte", ("report", "en"): "Procedure report",
         ("day list", "fr"): "Liste du jour", ("day list", "en"): "Day list"}


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("what", ["report", "day list"])
def test_print_fits_the_paper(signed_in, live_server, live_app, printed, what, language, paper):
    case_id, code = printed[language]
    page = signed_in(STAFF[language][2] if what == "report" else STAFF[language][1])
    url = (f"{live_server}/procedures/cases/{case_id}/report" if what == "report"
           else f"{live_server}/procedures/day-list?site={code}&date={DAY.isoformat()}")
    page.goto(url)
    page.get_by_role("button", name="Imprimer" if language == "fr" else "Print").wait_for(state="visible")
    assert page.locator("article").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == TITLE[(what, language)]
    margins = page.evaluate("""() => Array.from(document.styleSheets).flatMap((sheet) => Array.from(sheet.cssRules))
        .filter((rule) => rule instanceof CSSPageRule).map((rule) => rule.style.margin)""")
    assert margins == [f"{MARGIN_MM}mm"]

    width = printable_px(paper)
    m = measure(page, paper)
    assert m["scroll"] <= width and m["right"] <= width, m
    assert (m["menu"], m["buttons"], m["forms"]) == (0, 0, 0), m
    with live_app.app_context():
        where = site(code)
        assert m["header"].split("\n") == [where.name, where.address, where.phone]
    pdf = page.pdf(format=paper)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"print-{what.replace(' ', '-')}-{language}-{paper}.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == PAGES[what]
