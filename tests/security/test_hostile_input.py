"""Input that cannot hurt: a size limit before any body is read, page numbers and dates bounded,
deeply nested JSON refused, names that cannot break an e-mail header."""

from __future__ import annotations

import tracemalloc

import pytest

from tests.web import csrf_token

HUGE_PAGE = "99999999999999999999"
FAR_DATES = ["9999-12-31", "0001-01-01"]


def test_a_5_mb_anonymous_body_is_refused_before_it_is_read(client):
    """413 with the API's JSON error body; the server does not hold the body in memory."""
    body = b'{"first_name": "' + b"A" * (5 * 1024 * 1024) + b'"}'
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        response = client.post("/api/v1/patients", data=body, content_type="application/json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert response.is_json and response.get_json()["error"]["code"] == "too_large"
    rise_mb = (peak - baseline) / 2**20
    print(f"memory rise while answering a 5 MB body: {rise_mb:.1f} MB")
    assert rise_mb < 50


def test_a_large_form_body_is_refused_too(client):
    response = client.post("/login", data={"email": "x@test.example", "password": "p" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_deeply_nested_json_is_a_4xx(client, api_as):
    headers = api_as("front_desk")
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/patients", data=body, content_type="application/json", headers=headers)
    assert 400 <= response.status_code < 500 and response.is_json


@pytest.mark.parametrize("path", ["/patients/", "/audit/", "/admin/users", "/admin/outbox/", "/appointments/"])
def test_huge_page_numbers_on_pages_are_not_a_server_error(client, login_as, path):
    login_as("admin")
    response = client.get(f"{path}?page={HUGE_PAGE}")
    assert response.status_code < 500


def test_huge_page_numbers_on_the_api_are_a_4xx(client, api_as):
    headers = api_as("front_desk")
    response = client.get(f"/api/v1/patients?q=x&page={HUGE_PAGE}", headers=headers)
    assert 400 <= response.status_code < 500 and response.is_json


@pytest.mark.parametrize("day", FAR_DATES)
@pytest.mark.parametrize("path", ["/procedures/board?date={day}", "/admin/outbox/?day={day}", "/audit/?date_from={day}",
                                  "/appointments/?day={day}", "/procedures/my-day?date={day}"])
def test_far_dates_on_pages_are_a_4xx(client, login_as, make_user, paris, login, path, day):
    if "my-day" in path:
        login(make_user("physician", sites=[paris]))
    else:
        login_as("front_desk" if "appointments" in path else "admin")
    response = client.get(path.format(day=day))
    assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.parametrize("day", FAR_DATES)
def test_far_dates_on_the_api_are_a_4xx(client, api_as, paris, day):
    headers = api_as("front_desk")
    response = client.get(f"/api/v1/appointments?location={paris.code}&date={day}", headers=headers)
    assert response.status_code == 422 and response.is_json


def test_far_dates_on_the_week_view_are_a_4xx(client, login_as, make_user, paris):
    physician = make_user("physician", sites=[paris])
    login_as("admin")
    for day in FAR_DATES:
        response = client.get(f"/admin/physicians/{physician.id}/week?site={paris.id}&start={day}")
        assert response.status_code == 422, (day, response.status_code)
    assert client.get(f"/admin/physicians/{physician.id}/week?site={paris.id}&start=2026-12-07").status_code == 200


BAD_NAMES = ["Jean\r\nBcc: attacker@evil.example", "Tab\there", "Jean <x@evil.example>", 'Jean "Jo"',
             "Dupont, attacker@evil.example", "Jean; Paul", "jean@evil"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_patient_names_are_refused_by_the_api(client, api_as, name):
    from tests.factories import PATIENT_JSON as GOOD

    response = client.post("/api/v1/patients", json=GOOD | {"last_name": name}, headers=api_as("front_desk"))
    assert response.status_code == 422 and "last_name" in response.get_json()["error"]["details"]


def test_a_bad_patient_name_is_refused_by_the_form(client, login_as, paris, post_form):
    login_as("front_desk")
    response = post_form("/patients/new", {"first_name": "Marie\nBcc: x@evil.example", "last_name": "Dubois",
                                           "birth_date": "1961-04-02", "email": "marie@example.org",
                                           "phone": "+33 6 00 00 00 01", "language": "fr", "sex": "female"},
                         token_from="/patients/new")
    assert response.status_code == 422
    assert "control characters" in response.get_data(as_text=True)


def test_a_fine_name_with_accents_and_hyphens_is_accepted(client, api_as):
    from tests.factories import PATIENT_JSON as GOOD

    response = client.post("/api/v1/patients", json=GOOD | {"last_name": "Lefèvre-O'Brien"},
                           headers=api_as("front_desk"))
    assert response.status_code == 201


@pytest.mark.parametrize("name", BAD_NAMES[:3])
def test_bad_user_names_are_refused(app, db, paris, name, client, login_as, make_user):
    result = app.test_cli_runner().invoke(args=[
        "clinic", "create-user", "--email", "new@test.example", "--name", name, "--role", "nurse",
        "--password", "velvet tractor sings", "--location", paris.code])
    assert result.exit_code != 0 and "A name cannot hold" in result.output
    target = make_user("nurse", sites=[paris])
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}", data={
        "name": name, "role": "nurse", "sites": [str(paris.id)], "language": "",
        "csrf_token": csrf_token(client, f"/admin/users/{target.id}")})
    assert response.status_code == 422 and "A name cannot hold" in response.get_data(as_text=True)
