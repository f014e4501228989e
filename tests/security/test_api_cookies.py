"""The API authenticates by bearer token and uses no cookie: it never sets one, and a browser's
session cookie sent along with an API call is neither read, renewed nor cleared."""

from __future__ import annotations

from tests.web import csrf_token


def test_an_api_answer_sets_no_cookie_while_a_page_does(client, api_as, login_as):
    headers = api_as("front_desk")
    answers = {"/api/v1/locations": 200, "/api/v1/procedures": 200, "/api/v1/nothing-here": 404,
               "/api/v1/availability?location=paris-test&procedure=no-such-thing": 422}
    for path, status in answers.items():
        response = client.get(path, headers=headers)
        assert response.status_code == status, (path, response.status_code)
        assert "Set-Cookie" not in response.headers, path
        assert "Cookie" not in response.headers.get("Vary", ""), path
    assert "Set-Cookie" not in client.get("/api/v1/locations").headers  # refused (401), no cookie either
    assert client.get("/api/v1/locations").status_code == 401
    login_as("front_desk")
    assert "Set-Cookie" in client.get("/").headers   # a page renews the signed-in session as before


def test_a_session_cookie_sent_to_the_api_is_left_as_it_was_and_signs_nobody_in(client, login_as):
    login_as("front_desk")
    cookie = client.get_cookie("session").value
    response = client.get("/api/v1/locations")
    assert response.status_code == 401                   # a signed-in browser is not an API caller
    assert "Set-Cookie" not in response.headers
    assert client.get_cookie("session").value == cookie  # neither renewed nor cleared
    assert client.get("/").status_code == 200            # and the page session still works
    assert csrf_token(client)
