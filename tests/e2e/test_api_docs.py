"""The API documentation page in a real browser: Swagger UI renders the OpenAPI document's
operations under the strict content security policy, with no blocked script or style."""

import pytest

pytestmark = pytest.mark.browser


def test_the_api_docs_render_every_operation_without_a_policy_violation(page, live_server, sign_in):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in("admin")
    page.locator("header nav summary", has_text="Administration").click()     # the admin's grouped pages
    page.locator("header nav").get_by_role("link", name="API documentation").click()
    page.wait_for_url(f"{live_server}/api/docs")
    page.locator(".opblock").first.wait_for(timeout=20_000)
    assert page.locator(".opblock").count() >= 17
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Clinic")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert page.locator(".try-out__btn").count() == 0  # read-only: no calls from the page
