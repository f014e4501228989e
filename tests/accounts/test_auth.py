"""Signing in and out, CSRF, session invalidation and bearer tokens."""

from clinic.accounts.models import ApiToken
from clinic.db import utcnow
from tests.web import csrf_token


def test_login_with_right_password(client, make_user, login):
    user = make_user("nurse")
    login(user)
    assert client.get("/").status_code == 200


def test_login_with_wrong_password_refused(client, make_user, post_form):
    user = make_user("nurse")
    response = post_form("/login", {"email": user.email, "password": "wrong-password-1"})
    assert response.status_code == 200
    assert "not right" in response.get_data(as_text=True) or "incorrect" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_post_without_csrf_refused(client, make_user):
    user = make_user("nurse")
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-9"})
    assert response.status_code in (200, 400)
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_sign_in(client, make_user, post_form, db):
    user = make_user("nurse")
    user.active = False
    db.session.flush()
    post_form("/login", {"email": user.email, "password": "correct-horse-9"})
    assert client.get("/").status_code == 302


def test_logout_ends_session(client, make_user, login, post_form):
    login(make_user("nurse"))
    post_form("/logout", token_from="/")
    assert client.get("/").status_code == 302


def test_logout_everywhere_ends_other_sessions(app, client, make_user, login, post_form):
    user = make_user("nurse")
    login(user)
    other = app.test_client()
    token = csrf_token(other)
    other.post("/login", data={"email": user.email, "password": "correct-horse-9", "csrf_token": token})
    assert other.get("/").status_code == 200
    post_form("/logout-everywhere", token_from="/")
    assert other.get("/").status_code == 302


def test_session_is_new_after_login(client, make_user, login):
    client.get("/login")
    before = client.get_cookie("session").value
    login(make_user("nurse"))
    assert client.get_cookie("session").value != before


def test_open_redirect_refused(client, make_user, post_form):
    user = make_user("nurse")
    response = post_form("/login", {"email": user.email, "password": "correct-horse-9", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_api_without_token_is_401_json(client):
    response = client.get("/api/v1/locations")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_with_bad_token_is_401(client):
    response = client.get("/api/v1/locations", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_revoked_token_is_401(client, make_user, api_token, db):
    user = make_user("front_desk")
    headers = api_token(user)
    assert client.get("/api/v1/locations", headers=headers).status_code == 200
    token = db.session.execute(db.select(ApiToken).where(ApiToken.user_id == user.id)).scalar_one()
    token.revoked_at = utcnow()
    db.session.flush()
    assert client.get("/api/v1/locations", headers=headers).status_code == 401


def test_deactivated_users_token_is_401(client, make_user, api_token, db):
    user = make_user("front_desk")
    headers = api_token(user)
    user.active = False
    db.session.flush()
    assert client.get("/api/v1/locations", headers=headers).status_code == 401


def test_tokens_are_stored_hashed(make_user, api_token, db):
    user = make_user("front_desk")
    raw = api_token(user)["Authorization"].split()[1]
    stored = db.session.execute(db.select(ApiToken.token_hash)).scalars().all()
    assert raw not in stored and ApiToken.hash(raw) in stored
