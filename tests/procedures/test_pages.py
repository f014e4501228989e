"""Procedure-day pages: the case with its forms, recording through a form, check-in, the report in
the site's language, the day board and its fragment, the physician's worklist."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from clinic.procedures import services
from clinic.scheduling.models import AppointmentStatus
from tests.web import csrf_token


@pytest.fixture
def case_path(make_case):
    def make(**kw):
        appointment = make_case(**kw)
        return appointment, f"/procedures/cases/{appointment.id}"

    return make


def test_case_page_shows_phases_and_disables_what_is_not_allowed(client, login_as, case_path):
    """A nurse sees every phase; the time-out form is disabled with the reason shown."""
    appointment, path = case_path()
    login_as("nurse")
    html = client.get(path).get_data(as_text=True)
    assert "Sign in" in html and "Time out" in html and "Discharge" in html
    assert 'id="item-identity_confirmed"' in html
    assert "Recorded by another role." in html
    assert "<script>" not in html and " style=" not in html


def test_nurse_records_an_item_through_the_form(client, login_as, case_path):
    """Posting a yes/no form records the item and redirects back to the case."""
    appointment, path = case_path()
    nurse = login_as("nurse")
    response = client.post(f"{path}/items/identity_confirmed", data={
        "identity_confirmed-value": "true", "identity_confirmed-csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    entry = services.load_case(appointment).entries["identity_confirmed"]
    assert entry.value is True and entry.recorded_by_id == nurse.id


def test_vitals_form_keeps_what_was_typed_on_error(client, login_as, case_path):
    """An implausible vital sign re-renders the page with the error and the typed values."""
    appointment, path = case_path()
    login_as("nurse")
    data = {"vitals_before-systolic": "120", "vitals_before-diastolic": "80", "vitals_before-pulse": "70",
            "vitals_before-spo2": "140", "vitals_before-csrf_token": csrf_token(client, path)}
    response = client.post(f"{path}/items/vitals_before", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="140"' in html and "spo2" in html
    assert "vitals_before" not in services.load_case(appointment).entries


def test_out_of_order_on_the_page_is_409_with_message(client, login_as, case_path):
    """A physician posting a time-out item too early sees the refusal on the page."""
    _appointment, path = case_path()
    login_as("physician")
    response = client.post(f"{path}/items/timeout_patient", data={
        "timeout_patient-value": "true", "timeout_patient-csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    assert 'data-code="out_of_order"' in response.get_data(as_text=True)


def test_missing_csrf_is_refused(client, login_as, case_path):
    """A form without its CSRF token records nothing."""
    appointment, path = case_path()
    login_as("nurse")
    response = client.post(f"{path}/items/identity_confirmed", data={"identity_confirmed-value": "true"})
    assert response.status_code == 400
    assert "identity_confirmed" not in services.load_case(appointment).entries


@pytest.mark.parametrize("role, expected", [("front_desk", 403), ("nurse", 200), ("physician", 200), ("admin", 200)])
def test_case_page_roles(client, login_as, case_path, role, expected):
    """The case page is for clinicians (and admins); the front desk works from the day board."""
    _appointment, path = case_path()
    login_as(role)
    assert client.get(path).status_code == expected


def test_case_page_other_site_is_403(client, login_as, case_path, make_site, paris, minnesota):
    """A nurse of another site of the organisation cannot open the case (403); for a nurse of
    another organisation it does not exist (404)."""
    _appointment, path = case_path()
    login_as("nurse", sites=[make_site(organisation=paris.organisation)])
    assert client.get(path).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("nurse", sites=[minnesota])
    assert client.get(path).status_code == 404


def test_check_in_from_the_board(client, login_as, case_path, paris):
    """The front desk checks a booked patient in from the day board."""
    appointment, _path = case_path(status=AppointmentStatus.BOOKED)
    login_as("front_desk")
    board = f"/procedures/board?site={paris.code}"
    response = client.post(f"/procedures/cases/{appointment.id}/check-in",
                           data={"csrf_token": csrf_token(client, board), "next": board})
    assert response.status_code == 302 and response.headers["Location"].endswith(board)
    assert appointment.status == AppointmentStatus.CHECKED_IN


def test_physician_cannot_check_in(client, login_as, case_path):
    """Check-in is the front desk's or a nurse's."""
    appointment, path = case_path(status=AppointmentStatus.BOOKED)
    login_as("physician")
    response = client.post(f"{path}/check-in", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 403 and appointment.status == AppointmentStatus.BOOKED


def test_report_in_the_sites_language(client, login_as, case_path):
    """The printable report of a Paris case is in French whatever the reader's language."""
    _appointment, path = case_path()
    login_as("physician")
    client.post("/language/en", data={"csrf_token": csrf_token(client, path), "next": "/"})
    html = client.get(f"{path}/report").get_data(as_text=True)
    assert 'lang="fr"' in html and "Compte rendu de l&#39;acte" in html


def test_board_shows_cases_by_room_with_status(client, login_as, make_case, paris):
    """The day board lists the day's cases in their room column with status and warnings."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    booked = make_case(status=AppointmentStatus.BOOKED, start=now)
    login_as("front_desk")
    booked.warnings = [{"code": "inr_check", "message": "INR", "source": "s2"}]
    html = client.get(f"/procedures/board?site={paris.code}").get_data(as_text=True)
    assert f'id="case-{booked.id}"' in html and 'data-status="booked"' in html
    assert "inr_check" in html and "Room 1" in html and "dayboard.js" in html
    fragment = client.get(f"/procedures/board/fragment?site={paris.code}").get_data(as_text=True)
    assert fragment.lstrip().startswith("<table") and f'id="case-{booked.id}"' in fragment


def test_board_monitoring_minutes_left(client, login_as, make_case, paris, complete_phase, make_user):
    """A case in monitoring shows the observation minutes left."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    appointment = make_case(start=now)
    nurse, physician = make_user("nurse", sites=[paris]), make_user("physician", sites=[paris])
    for phase in ("sign_in", "time_out", "procedure"):
        complete_phase(appointment, phase, nurse, physician)
    login_as("nurse")
    html = client.get(f"/procedures/board?site={paris.code}").get_data(as_text=True)
    assert 'data-status="monitoring"' in html and "min left" in html


def test_board_bad_date_and_unknown_site(client, login_as, paris):
    """A bad date falls back to today; an unknown site is 404, never a 500."""
    login_as("nurse")
    assert client.get(f"/procedures/board?site={paris.code}&date=nope").status_code == 200
    assert client.get("/procedures/board?site=nowhere").status_code == 404


def test_worklist_shows_only_the_physicians_cases(client, login, make_case, make_user, paris):
    """The physician's worklist lists their own cases of the day, not a colleague's."""
    me = make_user("physician", sites=[paris])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    mine = make_case(physician=me, start=now)
    other = make_case(start=now)
    login(me)
    html = client.get("/procedures/my-day").get_data(as_text=True)
    assert f'id="case-{mine.id}"' in html and f'id="case-{other.id}"' not in html


def test_check_in_posted_twice_from_the_board_says_it_was_done(client, login_as, case_path, paris):
    """The board's check-in carries a key: a second click checks in nothing more and says the
    patient was already checked in, not a refusal."""
    appointment, _path = case_path(status=AppointmentStatus.BOOKED)
    login_as("front_desk")
    board = f"/procedures/board?site={paris.code}"
    html = client.get(board).get_data(as_text=True)
    key = re.search(rf'/cases/{appointment.id}/check-in".*?name="form_key" value="([^"]+)"', html, re.S).group(1)
    data = {"csrf_token": csrf_token(client, board), "next": board, "form_key": key}
    for _ in range(2):
        response = client.post(f"/procedures/cases/{appointment.id}/check-in", data=data)
        assert response.status_code == 302 and response.headers["Location"].endswith(board)
    page = client.get(board).get_data(as_text=True)
    assert "was already checked in" in page and "cannot become" not in page
    assert appointment.status == AppointmentStatus.CHECKED_IN
