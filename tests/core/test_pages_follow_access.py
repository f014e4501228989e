"""The pages offer what the routes allow, and only that, for every role.

Each role walks the staff pages of a seeded day (day list, appointment pages, day board, cases,
patient page, patient requests, administration), following every link it may follow. Every link,
form and script address on each page is resolved with the URL map: a button, form or link to a
route that refuses the role fails the test. Then, for the actions of the procedure day, the
button is there exactly when the route allows the role: a page never hides what the server allows.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from clinic.access import PERMISSIONS, PUBLIC
from clinic.accounts.models import Role
from clinic.db import utcnow
from clinic.timeutil import local_date
from tests import factories

ROLES = [r.value for r in Role]
PAGE_LIMIT = 250


class _Offers(HTMLParser):
    """Links (`<a href>`), forms that can be sent (one enabled submit button, or none at all) and
    addresses a script loads (`data-*-url`), each as (method, address, what)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.offers: list[tuple[str, str, str]] = []
        self._form: dict | None = None
        self._disabled_depth = 0   # fieldsets open since the first disabled one

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, value in attrs:
            if name.startswith("data-") and name.endswith("-url") and value:
                self.offers.append(("GET", value, f"<{tag} {name}>"))
        if tag == "a" and a.get("href"):
            self.offers.append(("GET", a["href"], f"<a> {a['href']}"))
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").upper(), "action": a.get("action") or "",
                          "buttons": 0, "enabled": 0}
        elif tag == "fieldset" and self._form is not None:
            if self._disabled_depth or "disabled" in a:
                self._disabled_depth += 1
        elif self._form is not None and (tag == "button" and a.get("type", "submit") == "submit"
                                         or tag == "input" and a.get("type") in ("submit", "image")):
            self._form["buttons"] += 1
            if "disabled" not in a and not self._disabled_depth:
                self._form["enabled"] += 1

    def handle_endtag(self, tag):
        if tag == "fieldset" and self._disabled_depth:
            self._disabled_depth -= 1
        elif tag == "form" and self._form is not None:
            form, self._form = self._form, None
            if form["enabled"] or not form["buttons"]:
                self.offers.append((form["method"], form["action"], f"<form method={form['method']}>"))


def offers_of(html: str) -> list[tuple[str, str, str]]:
    parser = _Offers()
    parser.feed(html)
    parser.close()
    return parser.offers


def _resolve(app, adapter, method: str, path: str, query: str):
    """(endpoint, view arguments) of a path in the app, following the map's own redirects."""
    try:
        return adapter.match(path, method, query_args=query)
    except RequestRedirect as moved:
        return adapter.match(urlsplit(moved.new_url).path, method, query_args=query)


def _allows(app, endpoint: str, role: Role) -> bool:
    access = getattr(app.view_functions[endpoint], "access", None)
    return access == PUBLIC or (access is not None and access != PUBLIC and role in access)


# ---------------------------------------------------------------- the seeded day


@pytest.fixture
def seeded_day(db, paris, make_user, make_patient):
    """A day at the Paris test site, today in its local time: a booked appointment whose start has
    passed, a no-show, a patient checked in, a booking next week that needs a new time, a failed
    reminder, a patient's request with a time offered, a closure and a physician's time off."""
    from clinic.accounts.models import ApiToken
    from clinic.portal.models import PatientRequest, TimeOption
    from clinic.reminders.models import Reminder, ReminderStatus
    from clinic.scheduling.models import AppointmentStatus, TimeOff
    from clinic.sites.models import CalendarExceptionKind, Room, SiteCalendarException

    staff = {role: make_user(role, sites=[] if role == "admin" else [paris]) for role in ROLES}
    patient = make_patient(site=paris)
    now = utcnow().replace(microsecond=0)
    local_midnight = dt.datetime.combine(local_date(now, paris.tz), dt.time(), paris.tz).astimezone(dt.UTC)
    started = max(local_midnight, now - dt.timedelta(hours=1))   # today in Paris, and already begun

    def appointment(start, status, physician=staff["physician"], room=paris.rooms[0], who=patient, **kw):
        appt = factories.appointment(paris, who, start=start, room=room, physician=physician, status=status,
                                     procedure_code="esi-interlaminar", turnover=10, levels=["L4-L5"], **kw)
        return appt

    room_2 = Room(site=paris, name="Room 2", modalities=list(paris.rooms[0].modalities))
    db.session.add(room_2)
    appts = {
        "booked": appointment(started, AppointmentStatus.BOOKED),
        "no_show": appointment(started, AppointmentStatus.NO_SHOW),
        # at the same time as the booked one: another patient and physician, in another room
        "checked_in": appointment(started, AppointmentStatus.CHECKED_IN, physician=make_user("physician", sites=[paris]),
                                  room=room_2,
                                  who=make_patient(site=paris)),
        "next_week": appointment(started + dt.timedelta(days=7), AppointmentStatus.BOOKED, needs_reschedule=True),
    }
    future = appts["next_week"]
    reminder = Reminder(appointment_id=future.id, patient_id=patient.id, site_id=paris.id, kind="reminder_7d",
                        send_at=now, next_attempt_at=now, status=ReminderStatus.FAILED)
    request = PatientRequest(patient_id=patient.id, organisation_id=patient.organisation_id,
                             appointment_id=future.id, kind="reschedule")
    closure = SiteCalendarException(site_id=paris.id, day=local_date(now, paris.tz) + dt.timedelta(days=20),
                                    kind=CalendarExceptionKind.CLOSED)
    time_off = TimeOff(physician_id=staff["physician"].id, start_at=now + dt.timedelta(days=30),
                       end_at=now + dt.timedelta(days=31))
    token, _raw = ApiToken.issue(staff["front_desk"], "pages")
    db.session.add_all([reminder, request, closure, time_off, token])
    db.session.flush()
    db.session.add(TimeOption(request_id=request.id, organisation_id=patient.organisation_id,
                              start_at=future.start_at + dt.timedelta(days=1), physician_id=staff["physician"].id))
    db.session.commit()
    ids = {"patient_id": patient.id, "site_id": paris.id, "room_id": paris.rooms[0].id,
           "physician_id": staff["physician"].id, "user_id": staff["front_desk"].id}
    return staff, appts, ids


def _start_pages(app, seeded, role: Role) -> list[str]:
    """Every staff page of the URL map the role may open, with the seeded day's ids in it."""
    _staff, appts, ids = seeded
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        access = getattr(app.view_functions[rule.endpoint], "access", None)
        if access == PUBLIC or role not in access:
            continue
        args = set(rule.arguments)
        if args <= set(ids):
            pages.append(rule.build({k: ids[k] for k in args}, append_unknown=False)[1])
        elif args == {"appointment_id"}:
            pages += [rule.build({"appointment_id": a.id}, append_unknown=False)[1] for a in appts.values()]
    return sorted(set(pages))


def _walk(app, client, role: Role, start: list[str]):
    """Open every page reachable from `start` that the role may open: the pages seen, their
    statuses, and every offer found on them as (page, method, address, what, endpoint or None)."""
    adapter = app.url_map.bind("localhost")
    queue, seen_keys, pages = deque(start), set(), {}
    found = []
    while queue and len(pages) < PAGE_LIMIT:
        url = queue.popleft()
        if url in pages:
            continue
        response = client.get(url)
        pages[url] = response.status_code
        if response.status_code in (301, 302, 303):
            queue.append(urlsplit(response.headers["Location"]).path)
            continue
        if response.mimetype != "text/html":
            continue
        for method, address, what in offers_of(response.get_data(as_text=True)):
            target = urlsplit(urljoin(url, address))
            if target.scheme not in ("", "http") or target.netloc not in ("", "localhost"):
                continue  # mailto:, another site
            if not target.path or target.path == urlsplit(url).path and not address.strip("#") and method == "GET":
                continue  # an anchor on the same page
            try:
                endpoint, view_args = _resolve(app, adapter, method, target.path, target.query)
            except (NotFound, MethodNotAllowed):
                found.append((url, method, address, what, None))
                continue
            found.append((url, method, address, what, endpoint))
            key = (endpoint, tuple(sorted(view_args.items())))
            if (method == "GET" and endpoint != "static" and not target.path.startswith("/api/")
                    and _allows(app, endpoint, role) and key not in seen_keys):
                access = getattr(app.view_functions[endpoint], "access", None)
                seen_keys.add(key)
                if access != PUBLIC:  # patient links and sign-in pages are not staff pages
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages, found


@pytest.mark.parametrize("role", ROLES)
def test_no_page_offers_what_its_route_refuses(app, client, login, seeded_day, role):
    """Every link, form and script address on every page a role can reach points to a route that
    allows the role (or to a public one); none points to nothing."""
    staff, _appts, _ids = seeded_day
    login(staff[role])
    who = Role(role)
    pages, found = _walk(app, client, who, _start_pages(app, seeded_day, who))
    broken = sorted({f"{page}: {what} -> {address} (no route)" for page, _m, address, what, endpoint in found
                     if endpoint is None})
    refused = sorted({f"{page}: {what} -> {address} ({endpoint})" for page, _m, address, what, endpoint in found
                      if endpoint is not None and not _allows(app, endpoint, who)})
    failing = sorted(f"{url}: {status}" for url, status in pages.items() if status >= 400)
    assert len(pages) > 10 and len(found) > 50  # the walk saw the day, not just the sign-in page
    assert broken == []
    assert refused == []
    assert failing == []


# ---------------------------------------------------------------- nothing hidden that is allowed


def _offered(client, url: str, endpoint: str, app) -> bool:
    adapter = app.url_map.bind("localhost")
    response = client.get(url)
    assert response.status_code == 200, url
    for method, address, _what in offers_of(response.get_data(as_text=True)):
        path = urlsplit(urljoin(url, address))
        try:
            if _resolve(app, adapter, method, path.path, path.query)[0] == endpoint:
                return True
        except (NotFound, MethodNotAllowed):
            continue
    return False


def _actions(seeded):
    """(page, action endpoint) pairs where the seeded day's state calls for the action."""
    _staff, appts, ids = seeded
    booked, no_show = appts["booked"].id, appts["no_show"].id
    board = "/procedures/board?site=paris-test"
    return [
        (f"/appointments/{booked}", "scheduling.check_in"),
        (f"/appointments/{booked}", "scheduling.no_show"),
        (f"/appointments/{booked}", "scheduling.reschedule"),
        (f"/appointments/{booked}", "scheduling.cancel"),
        (f"/appointments/{no_show}", "scheduling.undo_no_show"),
        (board, "procedures.check_in"),
        (board, "procedures.case"),
        (f"/procedures/cases/{booked}", "procedures.check_in"),
        (f"/procedures/cases/{appts['checked_in'].id}", "procedures.record_item"),
        ("/patients/", "patients.new"),
        (f"/patients/{ids['patient_id']}", "patients.edit"),
        (f"/patients/{ids['patient_id']}", "scheduling.book"),
        (f"/patients/{ids['patient_id']}", "privacy.export"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_action_is_offered_exactly_to_the_roles_its_route_allows(app, client, login, seeded_day, role):
    """On the pages the role may open, each action the day calls for is offered if and only if its
    route allows the role: the check-in button follows the check-in route on the appointment page,
    the day board and the case page alike."""
    staff, _appts, _ids = seeded_day
    login(staff[role])
    who = Role(role)
    adapter = app.url_map.bind("localhost")
    wrong, checked = [], 0
    for page, endpoint in _actions(seeded_day):
        path = urlsplit(page)
        if not _allows(app, _resolve(app, adapter, "GET", path.path, path.query)[0], who):
            continue  # the role does not see this page at all
        offered = _offered(client, page, endpoint, app)
        if offered != _allows(app, endpoint, who):
            wrong.append(f"{page}: {endpoint} {'offered' if offered else 'hidden'} but the route "
                         f"{'refuses' if offered else 'allows'} {role}")
        checked += 1
    assert checked >= 6
    assert wrong == []


def test_the_case_page_asks_the_table_who_checks_in(app, client, login, seeded_day, monkeypatch):
    """The case page's check-in button reads the permission table, not a copy of it: with the
    nurse taken out of `check_in`, the nurse's case page no longer offers it (it used to list the
    roles itself, and left out the front desk that the route allows)."""
    staff, appts, _ids = seeded_day
    login(staff["nurse"])
    case = f"/procedures/cases/{appts['booked'].id}"
    assert _offered(client, case, "procedures.check_in", app)
    monkeypatch.setitem(PERMISSIONS, "check_in", (Role.FRONT_DESK, Role.ADMIN))
    assert not _offered(client, case, "procedures.check_in", app)


def test_a_permission_the_table_does_not_name_is_refused_loudly(app, client, login, make_user):
    """A misspelt permission fails where it is written (a route, a service, a template) instead of
    quietly allowing or hiding something."""
    from flask import render_template_string

    from clinic.access import allows, requires

    nurse = make_user("nurse")
    with pytest.raises(LookupError, match="check-in"):
        requires("check-in")
    with pytest.raises(LookupError, match="check-in"):
        allows(nurse, "check-in")
    with app.test_request_context("/"), pytest.raises(LookupError, match="check-in"):
        render_template_string('{% if can("check-in") %}offered{% endif %}')
    assert allows(nurse, "check_in") and not allows(nurse, "no_show") and not allows(None, "view_schedule")
