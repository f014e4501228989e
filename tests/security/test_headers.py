"""Security headers on every GET page of the URL map, seen by an admin: a content security policy
without inline script, frame denial, no MIME sniffing, a referrer policy; HSTS over TLS only."""

from __future__ import annotations

import re

import pytest

from clinic.security import CSP

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def _get_pages(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and not rule.rule.startswith("/api/"):
            yield re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "999999" if "id" in m.group(1) else "x", rule.rule)


def test_policy_has_no_inline_script():
    """The policy allows scripts and styles from the site itself only, and no framing."""
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP


def test_every_page_carries_the_headers(app, client, make_user, login, paris):
    """Every HTML page (and its error pages) answers with the policy, DENY, nosniff, a referrer policy,
    no-store, and holds no inline script, handler or style attribute."""
    login(make_user("admin"))
    failures = []
    pages = sorted(set(_get_pages(app)))
    assert len(pages) > 20
    for path in pages:
        response = client.get(path)
        h = response.headers
        if h.get("Content-Security-Policy") != CSP or h.get("X-Frame-Options") != "DENY" \
                or h.get("X-Content-Type-Options") != "nosniff" or h.get("Referrer-Policy") != "same-origin":
            failures.append(f"{path}: headers {dict(h)}")
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            for name, pattern in (("script", INLINE_SCRIPT), ("handler", INLINE_HANDLER), ("style", INLINE_STYLE)):
                if pattern.search(html):
                    failures.append(f"{path}: inline {name}: {pattern.search(html).group(0)[:80]}")
            if h.get("Cache-Control") != "no-store":
                failures.append(f"{path}: cacheable")
        if "Strict-Transport-Security" in h:
            failures.append(f"{path}: HSTS over plain HTTP")
    assert failures == []


def test_hsts_over_tls(client):
    """Over HTTPS the answer tells browsers to keep to HTTPS for a year, subdomains included."""
    response = client.get("/login", base_url="https://clinic.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_api_answers_carry_the_headers(client):
    """API answers, errors included, are not cached and not sniffed."""
    response = client.get("/api/v1/locations")
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("how", ["query", "json", "form", "path"])
def test_nul_characters_are_refused_by_name_not_with_a_500(client, db, make_user, api_token, post_form, how):
    """PostgreSQL text cannot hold U+0000: every such input is a 422 naming where it was."""
    headers = api_token(make_user("admin"))
    if how == "query":
        r = client.get("/api/v1/patients?q=ab%00c", headers=headers)
        field = "q"
    elif how == "json":
        r = client.post("/api/v1/appointments/1/cancel", json={"reason": "a\u0000b"}, headers=headers)
        field = "body"
    elif how == "form":
        r = post_form("/login", {"email": "x\u0000@clinic.example", "password": "p"})
        field = "email"
    else:
        r = client.get("/api/v1/sites/ab%00c", headers=headers)
        field = "path"
    assert r.status_code == 422
    if how != "form":
        assert r.get_json()["error"]["details"] == {field: "NUL characters are not accepted."}


def test_text_without_nul_goes_through(client, db, make_user, api_token):
    r = client.get("/api/v1/patients?q=abc", headers=api_token(make_user("admin")))
    assert r.status_code == 200
