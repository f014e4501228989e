"""Sign-in and sessions: throttling, idle expiry, a new session on sign-in, cookie flags,
password rules, sign-out everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic import create_app
from clinic.accounts.services import check_password_rules
from clinic.errors import DomainError
from clinic.extensions import limiter
from tests.factories import PASSWORD
from tests.web import FreshGClient, csrf_token


@pytest.fixture
def limited_app(app, database_url):
    """A fresh app with the login limiter on (3 per minute); the shared limiter is put back after."""
    saved = limiter.enabled
    fresh = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                        "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"})
    limiter.reset()
    try:
        yield fresh
    finally:
        limiter.reset()
        limiter.enabled = saved


def test_login_is_throttled(limited_app):
    """After LOGIN_RATE_LIMIT failed sign-ins, the next one is refused with 429 and sign-in pages still load."""
    client = limited_app.test_client()
    token = csrf_token(client)
    statuses = [client.post("/login", data={"email": "nobody@test.example", "password": "wrong-wrong-1",
                                            "csrf_token": token}).status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429
    assert client.get("/login").status_code == 200  # only POST is limited


def test_session_expires_after_inactivity(app, client, make_user, login):
    """Thirty idle minutes end the session: the old cookie is refused by the server too."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        login(make_user("front_desk"))
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=20))
        assert client.get("/").status_code == 200  # activity keeps the session alive
        cookie = client.get_cookie("session").value
        traveller.shift(dt.timedelta(minutes=app.config["PERMANENT_SESSION_LIFETIME"] // 60 + 1))
        client.set_cookie("session", cookie)  # replay it: the signature's age is checked on the server
        response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_is_replaced_on_login(client, make_user, login):
    """What the anonymous session held (its CSRF token, any planted key) is gone after sign-in."""
    csrf_token(client)
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
        before = dict(sess)
    old_cookie = client.get_cookie("session").value
    login(make_user("nurse"))
    with client.session_transaction() as sess:
        after = dict(sess)
    assert "planted" not in after
    assert after.get("csrf_token") != before.get("csrf_token")
    assert client.get_cookie("session").value != old_cookie


def test_production_cookies_are_secure(app, database_url, monkeypatch):
    """In production the session cookie is Secure, HttpOnly and SameSite=Lax."""
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", database_url)
    prod = create_app({"__config__": "production", "SQLALCHEMY_DATABASE_URI": database_url,
                       "BASE_URL": "https://clinic.example", "SMTP_HOST": "relay.example", "SMTP_STARTTLS": True})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["REMEMBER_COOKIE_SECURE"] is True
    prod.test_client_class = FreshGClient
    response = prod.test_client().get("/login", base_url="https://clinic.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("password", ["short-1", "password123456", "12345678901234"])
def test_weak_passwords_are_refused(password):
    """Passwords need twelve characters and must not be a common one."""
    with pytest.raises(DomainError):
        check_password_rules(password)


def test_good_password_is_accepted():
    """A long password mixing letters and symbols passes the rules."""
    check_password_rules(PASSWORD + "-and-more")


def test_logout_everywhere_ends_every_session(app, client, make_user, login, post_form):
    """Signing out everywhere ends a second browser's session too."""
    user = login(make_user("physician"))
    other = app.test_client()
    token = csrf_token(other)
    other.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert other.get("/").status_code == 200
    post_form("/logout-everywhere", token_from="/")
    assert other.get("/").status_code == 302
    assert client.get("/").status_code == 302
