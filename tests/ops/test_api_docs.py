"""/api/docs: Swagger UI over the OpenAPI document, served from the app's own static files under
the same strict content security policy, and linked from the admin menu."""

from __future__ import annotations

import re

from clinic.security import CSP


def test_the_docs_page_loads_only_the_apps_own_scripts_and_styles(client):
    answer = client.get("/api/docs")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert answer.headers["Content-Security-Policy"] == CSP and "script-src 'self';" in CSP
    html = answer.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts] == [
        "/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/js/api-docs.js"]
    assert all(body.strip() == "" for _, body in scripts)  # no inline script
    assert "<style" not in html and " style=" not in html
    assert 'data-spec-url="/api/openapi.json"' in html
    for path in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
                 "/static/js/api-docs.js"):
        assert client.get(path).status_code == 200, path
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', html))


def test_the_admin_menu_links_the_docs_and_other_roles_menus_do_not(client, login_as):
    login_as("admin")
    assert 'href="/api/docs"' in client.get("/admin/").get_data(as_text=True)


def test_the_front_desk_menu_has_no_docs_link(client, login_as):
    login_as("front_desk")
    assert 'href="/api/docs"' not in client.get("/patients/").get_data(as_text=True)
