"""Staff of one site never reach another site's appointments; a patient link opens only its own.

A front-desk user and a nurse of site A try every appointment page and API resource of an
appointment at site B: each answer carries none of B's data, and nothing changes. Sites A (Paris)
and B (Minnesota) belong to different organisations, so B's appointment does not exist for A's
staff: 404, not 403, which would say that it exists. Only the lists that name a site (not an
object) still answer 403. Between two sites of one organisation the refusal stays 403.
A patient link is signed for one patient and one appointment: patient 1's links cannot be turned
into views or requests on patient 2's appointment.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.accounts.models import Role
from clinic.links.tokens import make_token
from clinic.portal.models import PatientRequest
from clinic.procedures.models import Checklist
from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment, AppointmentStatus
from tests.web import csrf_token

MARKER = "Zorglubovitch"
DAY = dt.date(2026, 6, 10)
HTML_GETS = ["/appointments/{id}", "/appointments/{id}/preparation", "/appointments/{id}/reschedule",
             "/appointments/{id}/cancel", "/procedures/cases/{id}", "/procedures/cases/{id}/report",
             "/procedures/cases/{id}/body", "/procedures/cases/{id}/clock"]
HTML_POSTS = ["/appointments/{id}/check-in", "/appointments/{id}/no-show", "/appointments/{id}/cancel",
              "/appointments/{id}/reschedule", "/procedures/cases/{id}/check-in",
              "/procedures/cases/{id}/items/consent"]
API_GETS = ["/api/v1/appointments/{id}", "/api/v1/appointments/{id}/checklist",
            "/api/v1/appointments?location={site}&date=2026-06-10",
            "/api/v1/availability?location={site}&procedure=esi-transforaminal&date=2026-06-10",
            "/api/v1/physicians?location={site}"]
API_POSTS = [("/api/v1/appointments/{id}/cancel", {"reason": "test"}), ("/api/v1/appointments/{id}/check-in", {}),
             ("/api/v1/appointments/{id}/no-show", {}),
             ("/api/v1/appointments/{id}/reschedule", {"start": "2026-06-11T10:00:00-05:00"}),
             ("/api/v1/appointments/{id}/checklist/consent", {"value": True})]


@pytest.fixture
def site_b(db, minnesota, make_patient, make_appointment):
    """An appointment at site B with a checklist and a reminder, its patient named MARKER."""
    patient = make_patient(site=minnesota, last_name=MARKER, first_name=MARKER)
    appointment = make_appointment(site=minnesota, day=DAY, patient=patient, warnings=[{"code": MARKER}])
    db.session.add(Checklist(appointment_id=appointment.id, template_code="esi"))
    at = dt.datetime(2026, 6, 3, 15, tzinfo=dt.UTC)
    db.session.add(Reminder(appointment_id=appointment.id, patient_id=patient.id, site_id=minnesota.id,
                            kind="reminder_7d", send_at=at, next_attempt_at=at))
    db.session.commit()
    return appointment


def _unchanged(db, appointment) -> None:
    db.session.expire_all()
    row = db.session.get(Appointment, appointment.id)
    assert row.status == AppointmentStatus.BOOKED and row.start_at == appointment.start_at
    assert row.version == 1


def _expected(app, method: str, path: str, role: str) -> tuple[int, ...]:
    """403 where the role may not use the route at all (the gate answers first, revealing nothing),
    else 404: the object belongs to another organisation."""
    endpoint, _args = app.url_map.bind("").match(path.split("?")[0], method)
    return (404,) if Role(role) in app.view_functions[endpoint].access else (403,)


def _refused(response, what: str, statuses=(404,)) -> str | None:
    """None when the answer is one of `statuses` without B's data."""
    body = response.get_data(as_text=True)
    if response.status_code not in statuses or MARKER in body:
        return f"{what}: {response.status_code}"
    return None


@pytest.mark.parametrize("role", ["front_desk", "nurse"])
def test_site_a_staff_get_no_page_of_a_site_b_appointment(app, client, db, paris, login_as, site_b, role):
    """Every appointment page and action of site B answers 403 or 404 to site A's staff, without B's data."""
    login_as(role, sites=[paris])
    token = csrf_token(client, "/appointments/")
    failures = [_refused(client.get(p.format(id=site_b.id)), f"GET {p}",
                         _expected(app, "GET", p.format(id=site_b.id), role)) for p in HTML_GETS]
    failures += [_refused(client.post(p.format(id=site_b.id), data={"csrf_token": token, "reason": "x",
                                                                     "value": "y", "confirm": "1"}), f"POST {p}",
                          _expected(app, "POST", p.format(id=site_b.id), role))
                 for p in HTML_POSTS]
    failures += [_refused(client.get(f"/procedures/board{s}?site={site_b.site.code}"), f"board{s}", (403, 404))
                 for s in ("", "/fragment")]
    assert [f for f in failures if f] == []
    _unchanged(db, site_b)


@pytest.mark.parametrize("role", ["front_desk", "nurse"])
def test_site_a_day_board_never_shows_site_b(client, paris, login_as, site_b, role):
    """Asking the day list for site B falls back to the user's own site: B's patient is not listed."""
    login_as(role, sites=[paris])
    response = client.get(f"/appointments/?site={site_b.site.code}&day={DAY.isoformat()}")
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 403, 404) and MARKER not in body
    assert response.status_code != 200 or site_b.site.name not in body


@pytest.mark.parametrize("role", ["front_desk", "nurse"])
def test_site_a_staff_get_no_api_resource_of_site_b(app, client, db, paris, make_user, api_token, site_b, role):
    """The API answers 403 or 404 to site A's staff for B's appointment, checklist, reminders and lists."""
    headers = api_token(make_user(role, sites=[paris]))
    code = site_b.site.code
    failures = [_refused(client.get(p.format(id=site_b.id, site=code), headers=headers), f"GET {p}",
                         (403, 404) if "location=" in p else _expected(app, "GET", p.format(id=site_b.id), role))
                for p in API_GETS]
    failures += [_refused(client.post(p.format(id=site_b.id), json=body, headers=headers), f"POST {p}",
                          _expected(app, "POST", p.format(id=site_b.id), role))
                 for p, body in API_POSTS]
    assert [f for f in failures if f] == []
    physicians = client.get("/api/v1/physicians", headers=headers).get_json()["physicians"]
    assert site_b.physician_id not in {p["id"] for p in physicians}
    _unchanged(db, site_b)


def test_another_site_of_the_same_organisation_is_403(client, db, paris, make_site, make_user, make_patient,
                                                     make_appointment, api_token):
    """Within one organisation the appointment exists for every staff member; another site's is refused (403)."""
    drouot = make_site(organisation=paris.organisation)
    appointment = make_appointment(site=drouot, day=DAY, patient=make_patient(site=drouot))
    headers = api_token(make_user("front_desk", sites=[paris]))
    assert client.get(f"/api/v1/appointments/{appointment.id}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/patients/{appointment.patient_id}", headers=headers).status_code == 200


def test_site_b_staff_do_see_it(client, minnesota, make_user, api_token, site_b):
    """The same requests succeed for site B's front desk: the refusals above are about the site."""
    headers = api_token(make_user("front_desk", sites=[minnesota]))
    response = client.get(f"/api/v1/appointments/{site_b.id}", headers=headers)
    assert response.status_code == 200 and response.get_json()["reminders"][0]["kind"] == "reminder_7d"


@pytest.mark.parametrize("purpose", ["prepare", "pain", "cancel", "optout"])
def test_patient_link_cannot_open_another_patients_appointment(client, db, make_appointment, purpose):
    """A link signed for patient 1, pointed at patient 2's appointment, is refused and changes nothing."""
    mine = make_appointment(day=DAY)
    theirs = make_appointment(day=DAY, warnings=[{"code": MARKER}], medication_holds=[{"drug": "warfarin"}])
    db.session.commit()
    moment = "day7" if purpose == "pain" else None
    token = make_token(purpose, mine.patient_id, theirs.id, moment)
    response = client.get(f"/p/{purpose}/{token}")
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert theirs.patient.last_name not in body and "warfarin" not in body
    if purpose != "prepare":
        posted = client.post(f"/p/{purpose}/{token}", data={"csrf_token": csrf_token(client, "/login"),
                                                            "score": "3", "note": "x", "opt_out": "y"})
        assert posted.status_code == 403 and theirs.patient.last_name not in posted.get_data(as_text=True)
    own = client.get(f"/p/{purpose}/{make_token(purpose, mine.patient_id, mine.id, moment)}")
    assert own.status_code == 200 and theirs.patient.last_name not in own.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.execute(sa.select(PatientRequest)).first() is None or purpose == "cancel"
    assert not db.session.execute(sa.select(PatientRequest).where(
        PatientRequest.appointment_id == theirs.id)).first()
    assert db.session.get(type(theirs.patient), theirs.patient_id).non_essential_opt_out is False
