"""Every role's pages in a real browser, in English and in French: each menu entry opens
without an error, and the language switch changes the interface."""

import pytest

pytestmark = pytest.mark.browser

ROLES = ["front_desk_en", "front_desk_fr", "nurse_en", "nurse_fr", "physician_en", "physician_fr", "admin"]
ERROR_TEXTS = ("Something went wrong", "Une erreur est survenue", "Not allowed", "Accès refusé")


def _menu(page) -> list[str]:
    return page.eval_on_selector_all("header nav a", "links => links.map(a => a.getAttribute('href'))")


def _visit_all(page, live_server, hrefs):
    for href in hrefs:
        response = page.goto(f"{live_server}{href}")
        assert response is not None and response.status < 400, (href, response and response.status)
        body = page.locator("main").inner_text()
        assert not any(text in body for text in ERROR_TEXTS), href
        assert page.locator("h1").count() >= 1, href


@pytest.fixture
def keep_languages(live_app):
    """The language switch is remembered on the user: put every demo user's choice back afterwards."""
    import sqlalchemy as sa

    from clinic.accounts.models import User
    from clinic.extensions import db

    with live_app.app_context():
        saved = dict(db.session.execute(sa.select(User.id, User.language)).all())
        db.session.remove()
    yield
    with live_app.app_context():
        for user_id, language in saved.items():
            db.session.execute(sa.update(User).where(User.id == user_id).values(language=language))
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("who", ROLES)
def test_each_menu_page_opens_in_both_languages(page, live_server, sign_in, keep_languages, who):
    """Each menu entry of the role answers without error; after the switch, the same in the other language."""
    sign_in(who)
    hrefs = _menu(page)
    assert hrefs, "a signed-in user has a menu"
    _visit_all(page, live_server, hrefs)
    before = page.get_attribute("html", "lang")
    page.goto(f"{live_server}/")
    page.locator("header form.inline button[lang]").click()
    page.wait_for_load_state()
    after = page.get_attribute("html", "lang")
    assert {before, after} == {"en", "fr"}
    _visit_all(page, live_server, _menu(page))
