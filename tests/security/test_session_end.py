"""Sessions that end: signing out ends the session on the server, an absolute lifetime, the day
board's refresh does not keep a session alive, API tokens that expire and record their last use,
sign out everywhere and a password change end sessions and tokens."""

from __future__ import annotations

import datetime as dt
import re

from clinic.accounts.models import ApiToken
from clinic.extensions import db as _db
from tests.factories import PASSWORD
from tests.web import FreshGClient, csrf_token


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_cookie_copied_before_sign_out_no_longer_works(client, login_as, post_form):
    login_as("nurse")
    copied = client.get_cookie("session").value
    assert _signed_in(client)
    assert post_form("/logout", token_from="/").status_code == 302
    client.set_cookie("session", copied)  # replayed by whoever copied it
    response = client.get("/patients/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_session_ends_after_its_absolute_lifetime_however_active(app, client, login_as, fixed_clock):
    """A request every 20 minutes keeps the idle timeout at bay, but not past SESSION_MAX_HOURS."""
    login_as("nurse")
    hours = app.config["SESSION_MAX_HOURS"]
    assert hours == 12
    elapsed = dt.timedelta()
    while elapsed < dt.timedelta(hours=hours) - dt.timedelta(minutes=20):
        fixed_clock.shift(dt.timedelta(minutes=20))
        elapsed += dt.timedelta(minutes=20)
        assert _signed_in(client), f"signed out after {elapsed}"
    fixed_clock.shift(dt.timedelta(minutes=21))
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _board_refresh_then_idle(client, paris, fixed_clock, headers: dict) -> bool:
    fixed_clock.shift(dt.timedelta(minutes=20))
    refresh = client.get(f"/procedures/board/fragment?site={paris.code}", headers=headers)
    assert refresh.status_code == 200
    fixed_clock.shift(dt.timedelta(minutes=15))  # 35 minutes after the user's last own request
    return _signed_in(client)


def test_the_board_refresh_does_not_keep_a_session_alive(client, login_as, paris, fixed_clock):
    login_as("nurse")
    assert not _board_refresh_then_idle(client, paris, fixed_clock, {"X-Clinic-Background": "1"})


def test_a_request_of_the_user_does_keep_it_alive(client, login_as, paris, fixed_clock):
    """The control: the same request without the background mark renews the idle timeout."""
    login_as("nurse")
    assert _board_refresh_then_idle(client, paris, fixed_clock, {})


def test_the_pages_scripts_mark_what_they_read_by_themselves(app):
    """The board's refresh, the discharge clock's reading and the case page's check for changes go
    through the one reader that marks them as background (the case page's answers do not)."""
    def read(name):
        with open(f"{app.static_folder}/js/{name}") as handle:
            return handle.read()

    reader = read("app.js")
    assert "window.clinicBackgroundFetch" in reader and '"X-Clinic-Background": "1"' in reader
    for name in ("dayboard.js", "discharge-clock.js", "checklist.js"):
        assert "window.clinicBackgroundFetch(" in read(name), name
        assert "X-Clinic-Background" not in read(name), name


def _cli_token(app, user, *extra: str) -> dict:
    result = app.test_cli_runner().invoke(args=["clinic", "api-token", "--email", user.email, *extra])
    assert result.exit_code == 0, result.output
    raw = re.search(r"API token: (\S+)", result.output).group(1)
    return {"Authorization": f"Bearer {raw}"}


def test_a_token_issued_for_days_expires(app, client, make_user, paris, fixed_clock):
    user = make_user("nurse", sites=[paris])
    headers = _cli_token(app, user, "--days", "2")
    assert client.get("/api/v1/patients?q=x", headers=headers).status_code == 200
    fixed_clock.shift(dt.timedelta(days=2, minutes=1))
    response = client.get("/api/v1/patients?q=x", headers=headers)
    assert response.status_code == 401 and response.is_json


def test_a_token_without_days_does_not_expire_and_days_must_be_positive(app, client, make_user, paris, fixed_clock):
    user = make_user("nurse", sites=[paris])
    headers = _cli_token(app, user)
    fixed_clock.shift(dt.timedelta(days=400))
    assert client.get("/api/v1/patients?q=x", headers=headers).status_code == 200
    result = app.test_cli_runner().invoke(args=["clinic", "api-token", "--email", user.email, "--days", "0"])
    assert result.exit_code != 0


def test_a_token_records_its_last_use(app, client, make_user, paris, fixed_clock):
    user = make_user("nurse", sites=[paris])
    headers = _cli_token(app, user)
    token = _db.session.execute(_db.select(ApiToken).where(ApiToken.user_id == user.id)).scalar_one()
    assert token.last_used_at is None
    fixed_clock.shift(dt.timedelta(hours=3))
    used_at = dt.datetime.now(dt.UTC)
    assert client.get("/api/v1/patients?q=x", headers=headers).status_code == 200
    _db.session.expire_all()
    assert abs(token.last_used_at - used_at) < dt.timedelta(seconds=5)


def test_sign_out_everywhere_ends_other_sessions_and_tokens(app, client, make_user, paris, login, api_token):
    user = login(make_user("physician", sites=[paris]))
    headers = api_token(user)
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other)})
    assert _signed_in(other)
    account = client.get("/account").get_data(as_text=True)
    assert 'href="/logout-everywhere"' in account
    confirmation = client.get("/logout-everywhere")
    assert confirmation.status_code == 200 and "Sign out everywhere?" in confirmation.get_data(as_text=True)
    assert _signed_in(other)  # asking is not doing
    response = client.post("/logout-everywhere", data={"csrf_token": csrf_token(client, "/logout-everywhere")})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in(other) and not _signed_in(client)
    assert client.get("/api/v1/patients?q=x", headers=headers).status_code == 401


def test_a_password_change_ends_sessions_and_tokens(app, client, make_user, paris, login, api_token):
    target = make_user("nurse", sites=[paris])
    headers = api_token(target)
    victim = app.test_client()
    victim.test_client_class = FreshGClient
    victim.post("/login", data={"email": target.email, "password": PASSWORD, "csrf_token": csrf_token(victim)})
    assert _signed_in(victim)
    login(make_user("admin"))
    new_password = "a-fresh-passphrase-42"
    response = client.post(f"/admin/users/{target.id}/password",
                           data={"password": new_password, "repeat": new_password,
                                 "csrf_token": csrf_token(client, f"/admin/users/{target.id}")})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert not _signed_in(victim)
    assert client.get("/api/v1/patients?q=x", headers=headers).status_code == 401
