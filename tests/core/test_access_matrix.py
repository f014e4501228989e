"""Every route of the URL map against every role and an anonymous visitor.

The table is the URL map itself: each view declares who may use it (clinic.access), so a new
route without a declaration fails here, and every declaration is checked by a real request.
"""

from __future__ import annotations

import re

import pytest

from clinic.access import PUBLIC
from clinic.accounts.models import Role
from tests.conftest import csrf_token

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
