"""Every route of the URL map against every role and an anonymous visitor.

The table is the URL map itself: each view declares who may use it (clinic.access), so a new
route without a declaration fails here, and every declaration is checked by a real request.
"""

from __future__ import annotations

import re

import pytest

from clinic.access import PUBLIC
from clinic.accounts.models import Role
from tests import factories
from tests.factories import PASSWORD
from tests.web import csrf_token

ROLES = [r.value for r in Role]
SKIP_ENDPOINTS = {"static"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule) -> str:
    # Fill every path argument with a value that names nothing (allowed roles then get a 404).
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "999999" if "id" in m.group(1) else "x", rule.rule)


def _access(app, endpoint):
    return getattr(app.view_functions[endpoint], "access", None)


def test_every_route_declares_its_access(app):
    """A view without roles_required or public fails this test."""
    missing = sorted({rule.endpoint for rule, _ in _routes(app) if _access(app, rule.endpoint) is None})
    assert missing == []


def _request(client, method, url, api):
    if method == "GET":
        return client.get(url)
    if api:
        return client.open(url, method=method, json={})
    return client.open(url, method=method, data={"csrf_token": csrf_token(client, "/login")})


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_every_route_answers_each_role_as_declared(app, client, make_user, paris, api_token, login, who):
    """Allowed roles get past the gate; others get 403; anonymous visitors get 401 or the login page."""
    headers = {}
    if who != "anonymous":
        user = make_user(who, sites=[] if who == "admin" else [paris])
        headers = api_token(user)
        login(user)
    failures = []
    for rule, method in _routes(app):
        access = _access(app, rule.endpoint)
        url = _url(rule)
        api = url.startswith("/api/")
        if api:
            client.environ_base.update({"HTTP_AUTHORIZATION": headers.get("Authorization", "")})
        response = _request(client, method, url, api)
        status = response.status_code
        if access == PUBLIC:
            ok = status not in (401, 403) and "/login?next" not in response.headers.get("Location", "")
        elif who == "anonymous":
            ok = status == 401 if api else (status == 302 and "/login" in response.headers["Location"])
        elif Role(who) in access:
            ok = status not in (401, 403, 500)
        else:
            ok = status == 403
        if not ok:
            failures.append(f"{method} {url} as {who}: {status}")
        client.environ_base.pop("HTTP_AUTHORIZATION", None)
        if method != "GET" and who != "anonymous" and not api:
            login(user)  # the route may have ended the session (sign out)
            headers = api_token(user)  # ... and revoked the user's tokens (sign out everywhere)
    assert failures == []


# ---------------------------------------------------------------- the object pass
#
# Every route that takes an id is asked for a real object of organisation A, by each role allowed
# to use it: a user of organisation B gets 404 (the object does not exist for them), a user of A
# does not. An id argument this table does not know fails the test, so no new route is forgotten.

ID_KINDS = {
    "appointment_id": "appointment", "patient_id": "patient", "request_id": "request", "option_id": "option",
    "reminder_id": "reminder", "site_id": "site", "room_id": "room", "exception_id": "exception",
    "physician_id": "physician", "time_off_id": "time_off", "user_id": "user", "token_id": "token",
    "entry_id": "waiting_entry",
}
OTHER_ARGS = {"item_code": "consent_signed", "action": "deactivate", "lang": "en", "token": "x", "short": "x", "name": "x",
              "filename": "x"}
_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _id_routes(app):
    for rule, method in _routes(app):
        if any(a.endswith("_id") for a in rule.arguments) and _access(app, rule.endpoint) != PUBLIC:
            yield rule, method


def test_every_id_argument_names_a_known_kind(app):
    """A route with an id argument the object pass cannot fill fails here: add it to ID_KINDS."""
    unknown = sorted({f"{rule.rule}: {a}" for rule, _ in _routes(app) for a in rule.arguments
                      if a not in ID_KINDS and a not in OTHER_ARGS})
    assert unknown == []


@pytest.fixture
def organisation_objects(db, make_site, make_user, make_patient, make_organisation):
    """One object of each kind in an organisation, its staff of every role (admin: of that organisation)."""
    import datetime as dt

    from clinic.accounts.models import ApiToken
    from clinic.portal.models import PatientRequest, TimeOption
    from clinic.procedures.models import Checklist
    from clinic.reminders.models import Reminder, ReminderStatus
    from clinic.scheduling.models import TimeOff
    from clinic.sites.models import CalendarExceptionKind, SiteCalendarException
    from clinic.waitlist.models import WaitingEntry

    def make(country):
        org = make_organisation(country=country)
        site = make_site(country=country, organisation=org, tz="Europe/Paris")
        staff = {role: make_user(role, sites=[site]) for role in ROLES if role != "admin"}
        staff["admin"] = make_user("admin")
        staff["admin"].organisation_id = org.id
        patient = make_patient(site=site)
        start = dt.datetime(2026, 12, 21, 9, tzinfo=dt.UTC)
        appointment = factories.appointment(site, patient, start=start, room=site.rooms[0], physician=staff["physician"],
                                            procedure_code="esi-interlaminar", turnover=10, region=None, side=None)
        db.session.add(Checklist(appointment_id=appointment.id, template_code="spine-injection-v1"))
        reminder = Reminder(appointment_id=appointment.id, patient_id=patient.id, site_id=site.id, kind="reminder_7d",
                            send_at=start, next_attempt_at=start, status=ReminderStatus.FAILED)
        request = PatientRequest(patient_id=patient.id, appointment_id=appointment.id, kind="reschedule")
        exception = SiteCalendarException(site_id=site.id, day=dt.date(2026, 12, 28), kind=CalendarExceptionKind.CLOSED)
        time_off = TimeOff(physician_id=staff["physician"].id, start_at=start + dt.timedelta(days=30),
                           end_at=start + dt.timedelta(days=31))
        token, _raw = ApiToken.issue(staff["front_desk"], "matrix")
        db.session.add_all([reminder, request, exception, time_off, token])
        db.session.flush()
        option = TimeOption(request_id=request.id, start_at=start + dt.timedelta(days=1),
                            physician_id=staff["physician"].id)
        entry = WaitingEntry(patient_id=patient.id, site_id=site.id, procedure_code="esi-interlaminar")
        db.session.add_all([option, entry])
        db.session.commit()
        ids = {"appointment": appointment.id, "patient": patient.id, "request": request.id, "option": option.id,
               "reminder": reminder.id, "site": site.id, "room": site.rooms[0].id, "exception": exception.id,
               "physician": staff["physician"].id, "time_off": time_off.id, "user": staff["front_desk"].id,
               "token": token.id, "waiting_entry": entry.id}
        return staff, ids

    return make


def _object_url(rule, ids) -> str:
    def fill(match):
        name = match.group(1)
        return str(ids[ID_KINDS[name]]) if name in ID_KINDS else OTHER_ARGS[name]

    return _ARG.sub(fill, rule.rule)


@pytest.mark.parametrize("role", ROLES)
def test_another_organisations_objects_do_not_exist(app, client, db, organisation_objects, api_token, role):
    """Each id route, for each role it allows: 404 for the other organisation, never for the right one."""
    own_staff, ids = organisation_objects("FR")
    other_staff, _other_ids = organisation_objects("US")
    sessions = {}
    for staff, want_404 in ((other_staff, True), (own_staff, False)):
        user_client = app.test_client()  # one signed-in session per organisation
        user_client.post("/login", data={"email": staff[role].email, "password": PASSWORD,
                                         "csrf_token": csrf_token(user_client)})
        sessions[want_404] = (user_client, api_token(staff[role]), staff[role])
    failures, checked = [], 0
    for rule, method in _id_routes(app):
        if Role(role) not in _access(app, rule.endpoint):
            continue
        url = _object_url(rule, ids)
        api = url.startswith("/api/")
        for want_404 in (True, False):
            user_client, headers, user = sessions[want_404]
            if api:
                user_client.environ_base["HTTP_AUTHORIZATION"] = headers["Authorization"]
            status = _request(user_client, method, url, api).status_code
            user_client.environ_base.pop("HTTP_AUTHORIZATION", None)
            if (status == 404) != want_404 or status == 500:
                failures.append(f"{method} {url} as {role} of {'another' if want_404 else 'its'} organisation: {status}")
        checked += 1
    assert checked > 0
    assert "\n".join(failures) == ""
