"""Application factory, configuration, security headers and error pages."""

import pytest

from clinic import create_app


def test_database_url_selects_database_in_every_configuration(monkeypatch, tmp_path):
    """DATABASE_URL, when set, wins over each configuration's default."""
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    import importlib

    import clinic.config

    importlib.reload(clinic.config)
    try:
        for name in ("development", "testing"):
            assert url == clinic.config.CONFIGS[name].SQLALCHEMY_DATABASE_URI
    finally:
        monkeypatch.delenv("DATABASE_URL")
        importlib.reload(clinic.config)


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_security_headers_on_pages(client):
    response = client.get("/login")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_served_over_tls(client):
    response = client.get("/login", base_url="https://clinic.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and "onclick" not in html


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True) or "introuvable" in response.get_data(as_text=True)


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_session_cookie_flags(client, make_user, login):
    user = make_user("front_desk")
    login(user)
    cookie = next(c for c in client._cookies.values() if c.key == "session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_french_interface_on_choice(client, post_form):
    response = post_form("/language/fr", {"next": "/login"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert 'lang="fr"' in html


def test_french_interface_translates_the_login_page(client, post_form):
    """Choosing French translates the interface (compiled catalogs are loaded)."""
    post_form("/language/fr", {"next": "/login"})
    html = client.get("/login").get_data(as_text=True)
    assert "Mot de passe" in html and "Se connecter" in html


def test_site_language_is_the_default_for_a_user(client, make_user, login, paris):
    """A Paris user who chose nothing sees French."""
    login(make_user("nurse", sites=[paris], language=None))
    assert "Se déconnecter" in client.get("/").get_data(as_text=True)


def test_every_answer_tells_the_server_time(client, monkeypatch):
    """Server-Timing carries the app's own time in ms, measured from before the first hook."""
    import clinic.timing

    clock = iter([100.0, 100.0425])
    monkeypatch.setattr(clinic.timing, "perf_counter", lambda: next(clock))
    r = client.get("/login")
    assert r.headers["Server-Timing"] == "app;dur=42.5"
