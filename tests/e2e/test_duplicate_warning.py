"""Registering a patient twice in a real browser: the desk is shown the record that exists, with a
link to it, keeps what it typed, and may still register a different person of the same name."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"who": "front_desk_en", "patients": "Patients", "register": "Register a patient", "first": "First name",
           "last": "Last name", "birth": "Birth date", "email": "E-mail", "save": "Save",
           "warning": "Already registered?", "anyway": "This is a different person: register anyway"},
    "fr": {"who": "front_desk_fr", "patients": "Patients", "register": "Enregistrer un patient", "first": "Prénom",
           "last": "Nom", "birth": "Date de naissance", "email": "E-mail", "save": "Enregistrer",
           "warning": "Déjà enregistré ?", "anyway": "C'est une autre personne : enregistrer quand même"},
}
PEOPLE = {"en": ("Annabel", "Quillfeather", "1961-04-05"), "fr": ("Anaïs", "Duplessis-Vérot", "1958-11-23")}


def _register(page, live_server, w: dict, first: str, last: str, born: str, email: str) -> None:
    page.goto(f"{live_server}/patients/")
    page.get_by_role("link", name=w["register"]).first.click()
    page.get_by_label(w["first"], exact=True).fill(first)
    page.get_by_label(w["last"], exact=True).fill(last)
    page.get_by_label(w["birth"], exact=True).fill(born)
    page.get_by_label(w["email"], exact=True).fill(email)
    page.get_by_role("button", name=w["save"], exact=True).click()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_second_registration_is_warned_and_may_go_ahead(page, live_server, sign_in, lang):
    w = WORDS[lang]
    first, last, born = PEOPLE[lang]
    sign_in(w["who"])
    _register(page, live_server, w, first, last, born, f"{lang}.first@example.org")
    expect(page.get_by_role("heading", name=f"{first} {last}")).to_be_visible()
    kept_url = page.url

    # The same person typed again, with another address: the existing record is offered.
    _register(page, live_server, w, first.upper(), last, born, f"{lang}.second@example.org")
    warning = page.get_by_role("region", name=w["warning"])
    expect(warning).to_be_visible()
    existing = warning.get_by_role("link", name=f"{last}, {first}")
    expect(existing).to_be_visible()
    expect(page.get_by_label(w["email"], exact=True)).to_have_value(f"{lang}.second@example.org")
    assert existing.get_attribute("href") in kept_url

    # A different person after all: registered once the box is ticked.
    page.get_by_label(w["anyway"]).check()
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.get_by_role("heading", name=f"{first.upper()} {last}")).to_be_visible()
    assert page.url != kept_url
