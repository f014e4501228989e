"""Every word shown to a person is in their language: no catalog code, no machine timestamp.

A French front desk, nurse, physician and admin walk every page they can reach from their home
page through the demo data (with bookings made as a desk makes them: a blood thinner, diabetes,
a contrast allergy, sedation; one cancelled, one rescheduled, one no-show), and a French patient
opens each page of their links. Each page's visible text (and the texts a person reads in
attributes: buttons, titles, placeholders, labels for screen readers) must hold no code of the
catalog (`esi-caudal`, `anticoagulant_hold`, `medication_stop`, `planned`...), no ISO instant
(`2026-12-09T10:30:00+01:00`) and no date in the American short form. Every message the
patients were sent is read the same way, subject and both bodies.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import time_machine
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from clinic.accounts.models import ApiToken, User
from clinic.catalog import load_procedures
from clinic.links.manage import manage_url
from clinic.links.tokens import make_token
from clinic.mail.composers import compose
from clinic.patients.models import Patient
from clinic.reminders.channels import channel
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.reminders.schedule import rules
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.screening.results import REFUSAL_CODES, WARNING_CODES
from clinic.sites.models import Site

# A Tuesday morning in Paris: the demo's appointments surround it, today's included.
NOW = dt.datetime(2026, 12, 8, 8, 30, tzinfo=dt.UTC)
ISO_INSTANT = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
US_SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b(?!/)")
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
BUTTON_INPUTS = {"submit", "button", "reset"}
# Pages that are files, actions or another person's view, not a page to read.
NOT_A_PAGE = ("/logout", "/static/", "/api/", ".csv", ".ics", ".pdf", "/clock", "/fragment", "lang=")
PER_ENDPOINT = 6      # a day list with its previous and next day, not the whole calendar
# Words that are codes and French words alike, or proper names.
FRENCH_TOO = {"latex", "sacral", "ct", "fr", "en", "done", "version", "confirmation", "gadolinium"}
# Elements whose text is not the page's own words: a cited source keeps its title, a <code> is shown as code.
QUOTED = ("cite", "code")


class _Shown(HTMLParser):
    """The text of a page as a person sees it, and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template", *QUOTED):
            self._hidden += 1
            return
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        self.text += [v for k, v in attrs.items() if k in SHOWN_ATTRIBUTES and v]
        if tag == "input" and attrs.get("type") in BUTTON_INPUTS and attrs.get("value"):
            self.text.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", *QUOTED) and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def _codes() -> set[str]:
    """Every code of the catalog a page could leak, as it is spelled in the data."""
    codes = set(load_procedures()) | set(WARNING_CODES) | set(REFUSAL_CODES) | set(rules())
    codes |= {s.value for s in AppointmentStatus} | {s.value for s in ReminderStatus}
    codes |= {"cervical", "thoracic", "lumbar", "sacral", "left", "right", "bilateral", "midline"}
    codes |= {"diabetes", "glaucoma", "bleeding_disorder", "immunosuppression", "heart_failure",
              "kidney_disease", "iodinated_contrast", "gadolinium", "local_anesthetic", "corticosteroid",
              "possible_pregnancy"}
    return {c for c in codes if c.lower() not in FRENCH_TOO}


def offences(text: str, codes: set[str]) -> list[str]:
    found = [m.group(0) for pattern in (ISO_INSTANT, ISO_DATE, US_SHORT_DATE) for m in pattern.finditer(text)]
    words = set(re.findall(r"\w+(?:-\w+)*", text))
    return found + sorted(words & codes)


def explained(text: str, codes: set[str]) -> list[str]:
    """Each offence with the words around it, so that a failure says where to look."""
    out = []
    for bad in offences(text, codes):
        at = text.find(bad)
        out.append(f"{bad}: ...{text[max(0, at - 40):at + len(bad) + 30]}...".replace("\n", " | "))
    return out


def test_the_checker_catches_what_it_must():
    """The checks themselves: a code, an ISO instant and a US date in French text are caught."""
    codes = _codes()
    bad = "Arrêt anticoagulant_hold le 2026-12-09T10:30:00+01:00 (12/9/26, 2026-12-10), esi-caudal, statut planned"
    assert offences(bad, codes) == ["2026-12-09T10:30", "2026-12-10", "12/9/26", "anticoagulant_hold",
                                    "esi-caudal", "planned"]
    assert offences("Arrêt de l'apixaban le mercredi 9 décembre 2026 à 10:30, 09/12/2026", codes) == []


def _book(client, headers, patient, site, day, **kw) -> dict:
    slots = client.get(f"/api/v1/availability?location={site.code}&procedure={kw.get('procedure', 'esi-interlaminar')}"
                       f"&date={day.isoformat()}&days=5", headers=headers).get_json()["slots"]
    taken = kw.pop("skip", 0)
    slot = slots[taken]
    body = {"patient_id": patient.id, "location": site.code, "procedure": "esi-interlaminar",
            "start": slot["start"], "physician_id": slot["physician_id"], **kw}
    answer = client.post("/api/v1/appointments", headers=headers, json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.fixture
def french_clinic(app, db, client):
    """The demo data at NOW, with a French desk's bookings made through the API."""
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["clinic", "seed-demo"])
        assert result.exit_code == 0, result.output
        desk = db.session.scalar(sa.select(User).where(User.email == "accueil@clinic.example"))
        token, raw = ApiToken.issue(desk, "words")
        db.session.add(token)
        db.session.commit()
        h = {"Authorization": f"Bearer {raw}"}
        site = db.session.scalar(sa.select(Site).where(Site.code == "paris-bachaumont"))
        french = db.session.scalars(sa.select(Patient).where(Patient.language == "fr").order_by(Patient.id)).all()
        day = NOW.date() + dt.timedelta(days=7)
        french[0].sms_opt_in = True     # her reminders go by text message too
        db.session.commit()
        held = _book(client, h, french[0], site, day, medications=["apixaban", "metformin"],
                     conditions=["diabetes"], allergies=["iodinated_contrast"], sedation=True)
        moved = _book(client, h, french[1], site, day, skip=3, medications=["warfarin"])
        later = client.get(f"/api/v1/availability?location={site.code}&procedure=esi-interlaminar"
                           f"&date={(day + dt.timedelta(days=7)).isoformat()}&days=5", headers=h).get_json()["slots"]
        assert client.post(f"/api/v1/appointments/{moved['id']}/reschedule", headers=h,
                           json={"start": later[0]["start"]}).status_code == 200
        cancelled = _book(client, h, french[2], site, day, skip=6)
        assert client.post(f"/api/v1/appointments/{cancelled['id']}/cancel", headers=h,
                           json={"reason": "Grippe"}).status_code == 200
        db.session.commit()
        yield {"held": held, "moved": moved, "cancelled": cancelled, "patients": french}


def _crawl(client, start: list[str], codes: set[str]) -> tuple[dict[str, list[str]], int]:
    """Every page reachable from `start` by links (a few per endpoint), with what each shows wrongly."""
    from flask import current_app

    adapter = current_app.url_map.bind("localhost")
    per_endpoint: Counter = Counter()
    seen: set[str] = set()
    queue = deque(start)
    found: dict[str, list[str]] = {}
    pages = 0
    while queue:
        path = queue.popleft()
        if path in seen or any(part in path for part in NOT_A_PAGE):
            continue
        seen.add(path)
        try:
            endpoint, _ = adapter.match(urlsplit(path).path, "GET")
        except (NotFound, MethodNotAllowed, RequestRedirect):   # not a page of the app: not followed
            continue
        per_endpoint[endpoint] += 1
        if per_endpoint[endpoint] > PER_ENDPOINT:
            continue
        answer = client.get(path)
        if answer.status_code != 200 or not answer.content_type.startswith("text/html"):
            continue
        pages += 1
        shown = _Shown()
        shown.feed(answer.get_data(as_text=True))
        bad = explained("\n".join(shown.text), codes)
        if bad:
            found[path] = bad
        for href in shown.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found, pages


@pytest.mark.parametrize("email,password", [
    ("accueil@clinic.example", "accueil-demo-2026"),
    ("infirmiere@clinic.example", "nurse-demo-2026"),
    ("dr.martin@clinic.example", "doctor-demo-2026"),
    ("admin@clinic.example", "admin-demo-2026"),
])
def test_french_staff_pages_show_no_code_and_no_machine_date(client, db, login, french_clinic, email, password):
    """Each French staff member's every reachable page, read as they read it."""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    with time_machine.travel(NOW, tick=False):
        login(user, password)
        with client.session_transaction() as session:
            session["lang"] = "fr"
        appointments = [french_clinic[k]["id"] for k in ("held", "moved", "cancelled")]
        start = ["/", *(f"/appointments/{i}" for i in appointments),
                 *(f"/patients/{p.id}" for p in french_clinic["patients"][:3])]
        found, pages = _crawl(client, start, _codes())
    assert pages >= 10
    assert found == {}, "\n".join(f"{path}\n  " + "\n  ".join(bad) for path, bad in found.items())


def test_french_patient_pages_show_no_code_and_no_machine_date(client, db, french_clinic):
    """The pages a French patient opens from their links: manage, preparation, pain, requests, opt-out."""
    held = db.session.get(Appointment, french_clinic["held"]["id"])
    cancelled = db.session.get(Appointment, french_clinic["cancelled"]["id"])
    found, checked = {}, set()
    with time_machine.travel(NOW, tick=False):
        for appointment in (held, cancelled):
            manage = manage_url(appointment)
            paths = {"manage": urlsplit(manage).path} if manage else {}
            paths |= {purpose: f"/p/{purpose}/{make_token(purpose, appointment.patient_id, appointment.id, moment)}"
                      for purpose, moment in (("prepare", None), ("pain", "day7"), ("cancel", None), ("optout", None))}
            for purpose, path in paths.items():
                answer = client.get(path)
                assert answer.status_code in (200, 410), (path, answer.status_code)
                checked.add(f"{purpose} {appointment.status.value}")
                shown = _Shown()
                shown.feed(answer.get_data(as_text=True))
                bad = explained("\n".join(shown.text), _codes())
                if bad:
                    found[f"{purpose} {appointment.status.value}"] = bad
    assert "manage booked" in checked
    assert found == {}, "\n".join(f"{path}\n  " + "\n  ".join(bad) for path, bad in found.items())


def test_french_messages_show_no_code_and_no_machine_date(db, french_clinic):
    """Every message planned or sent to the French patients, each kind read in French."""
    reminders = db.session.scalars(
        sa.select(Reminder).join(Patient, Patient.id == Reminder.patient_id).where(Patient.language == "fr")).all()
    kinds = {(r.channel, r.kind) for r in reminders}
    assert {("email", "confirmation"), ("email", "medication_stop"), ("email", "cancellation"),
            ("email", "rescheduled"), ("sms", "day_before")} <= kinds, kinds
    found = {}
    codes = _codes()
    with time_machine.travel(NOW, tick=False):
        for reminder in reminders:
            if reminder.channel == "sms":
                bad = explained(channel("sms").compose(reminder).body, codes)
                if bad:
                    found[f"sms {reminder.kind}"] = bad
                continue
            message = compose(reminder)
            parts = [str(message["Subject"])]
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    parts.append(part.get_content())
                elif part.get_content_type() == "text/html":
                    shown = _Shown()
                    shown.feed(part.get_content())
                    parts.append("\n".join(shown.text))
            bad = explained("\n".join(parts), codes)
            if bad:
                found[f"email {reminder.kind}"] = bad
    assert found == {}, "\n".join(f"{kind}\n  " + "\n  ".join(bad) for kind, bad in found.items())
