"""Helpers for tests that drive the pages with the test client (not fixtures: any folder imports them)."""

from __future__ import annotations

import contextlib
import re

import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client, path="/login") -> str:
    """A CSRF token from any page (every page carries one in the language switch)."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@contextlib.contextmanager
def statements(db, starting: str = ""):
    """The SQL statements sent while the block runs (an executemany counts once), those starting
    with `starting` (case-insensitive) when given."""
    seen: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many):
        if statement.lstrip().upper().startswith(starting.upper()):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)


def post_page(client, url: str, data: dict):
    """Post a page's form with a fresh CSRF token, as the browser would."""
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def booking_data(site, **kw) -> dict:
    """The booking form filled for a lumbar interlaminar injection in the week of 2 March 2026."""
    data = {"site": site.code, "procedure": "esi-interlaminar", "region": "lumbar", "side": "left",
            "levels": "L4-L5", "physician": "", "week": "2026-03-02", "conservative_care_weeks": "8"}
    data.update(kw)
    return data


class FreshGClient(FlaskClient):
    """Each request starts with an empty `g`, as in production.

    The test's app context (held open by the db fixture) is reused by requests, so without this
    the CSRF token and the signed-in user cached in `g` would leak from one request to the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            store = g._get_current_object()
            for name in list(vars(store)):
                delattr(store, name)
        return super().open(*args, **kwargs)
