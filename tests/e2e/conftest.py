"""Browser tests: the app served by a real HTTP server on 127.0.0.1 over a seeded database,
driven by Playwright in Debian's Chromium. Skipped (with the reason) when Chromium is absent.

The server runs in this process, so it sees the suite's clock (tests/clock.py); Chromium keeps the
machine's real clock. A cookie's lifetime is therefore handed to the browser as Max-Age (counted
on the browser's clock) beside its Expires date (which is on the server's)."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
from email.utils import parsedate_to_datetime

import pytest
from werkzeug.serving import make_server

from clinic import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEMO = {
    "admin": ("admin@clinic.example", "admin-demo-2026"),
    "front_desk_fr": ("accueil@clinic.example", "accueil-demo-2026"),
    "front_desk_en": ("frontdesk@clinic.example", "frontdesk-demo-2026"),
    "nurse_fr": ("infirmiere@clinic.example", "nurse-demo-2026"),
    "nurse_en": ("nurse@clinic.example", "nurse-demo-2026"),
    "physician_fr": ("dr.martin@clinic.example", "doctor-demo-2026"),
    "physician_en": ("dr.johnson@clinic.example", "doctor-demo-2026"),
}


def pytest_collection_modifyitems(config, items):
    if shutil.which("chromium") is None:
        skip = pytest.mark.skip(reason="Debian's Chromium is not installed (apt-get install -y chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


class CookieLifetimeOnBrowserClock:
    """WSGI middleware: a Set-Cookie with an Expires date also gets the matching Max-Age, which
    browsers prefer, so a session cookie set at the suite's instant lives its lifetime in Chromium
    whatever the real date."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [(k, _with_max_age(v) if k.lower() == "set-cookie" else v)
                                           for k, v in headers], exc_info)

        return self.app(environ, start)


def _with_max_age(cookie: str) -> str:
    attributes = [part.strip() for part in cookie.split(";")]
    if any(a.lower().startswith("max-age=") for a in attributes):
        return cookie
    expires = next((a.split("=", 1)[1] for a in attributes if a.lower().startswith("expires=")), None)
    if expires is None:
        return cookie
    seconds = int((parsedate_to_datetime(expires) - dt.datetime.now(dt.UTC)).total_seconds())
    return f"{cookie}; Max-Age={max(seconds, 0)}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """A migrated, demo-seeded SQLite database of its own, and the app over it."""
    from flask_migrate import upgrade

    folder = tmp_path_factory.mktemp("live")
    app = create_app({
        "__config__": "testing",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite'}",
        "OUTBOX_DIR": str(folder / "outbox"),
        "PROPAGATE_UNEXPECTED": False,
    })
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["clinic", "seed-demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    """The base URL of the app served on a free loopback port for the whole session."""
    port = _free_port()
    server = make_server("127.0.0.1", port, CookieLifetimeOnBrowserClock(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live_app.config["BASE_URL"] = f"http://127.0.0.1:{port}"
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def sign_in_demo(page, live_server, who: str):
    """Sign a demo user in through the login page (its own form: the last one, after the language switch)."""
    email, password = DEMO[who]
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server}/")
    return page


def use_language(page, language: str) -> None:
    """Switch the signed-in user's language with the bar's button when it is not `language`."""
    if page.locator("html").get_attribute("lang") != language:
        page.locator(".tools button[lang]").click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language


@pytest.fixture
def sign_in(page, live_server):
    """Sign a demo user in through the login page."""

    def do(who: str):
        return sign_in_demo(page, live_server, who)

    return do
