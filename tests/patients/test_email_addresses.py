"""A patient's e-mail address, through the form and the API alike: checked by email-validator, stored
normalized, and an address with accented characters registered only when the mail relay can carry it
(SMTPUTF8: asked of the relay itself, through its EHLO, or said by MAIL_SMTPUTF8)."""

from __future__ import annotations

import pytest

from clinic.mail import international
from clinic.patients.models import Patient
from tests import smtp
from tests.factories import PATIENT_JSON

ACCENTED = "hélène@exemple.fr"
REFUSED_EN = "This address has accented characters and the clinic's mail server cannot deliver to it"
REFUSED_FR = "Cette adresse contient des caractères accentués et le serveur de messagerie de la clinique"


def _form(**over):
    data = {"first_name": "Hélène", "last_name": "Grimaud", "birth_date": "1969-11-07", "email": ACCENTED,
            "phone": "", "language": "fr"}
    data.update(over)
    return data


def _stored(db, last_name="Grimaud") -> Patient | None:
    return db.session.execute(db.select(Patient).where(Patient.last_name == last_name)).scalar_one_or_none()


@pytest.fixture
def setting(app):
    """Set MAIL_SMTPUTF8 for the test (and ask the relay afresh)."""
    saved = app.config["MAIL_SMTPUTF8"]

    def put(value: str) -> None:
        app.config["MAIL_SMTPUTF8"] = value
        international.forget()

    yield put
    app.config["MAIL_SMTPUTF8"] = saved
    international.forget()


@pytest.mark.parametrize("address", ["not-an-email", "jean@example", "jean dupont@example.org", "jean@@example.org",
                                     "jean@exa mple.org", "." * 10 + "@example.org"])
def test_the_api_answers_422_naming_the_bad_address(client, api_as, db, address):
    """The contract's error body: code invalid, details.email saying what is wrong; nothing written."""
    response = client.post("/api/v1/patients", json=PATIENT_JSON | {"email": address}, headers=api_as("front_desk"))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and list(error["details"]) == ["email"]
    assert error["details"]["email"].startswith("Not a valid e-mail address: ")
    assert db.session.execute(db.select(Patient).where(Patient.email == address)).first() is None


def test_the_api_stores_the_normalized_address(client, api_as, db):
    body = PATIENT_JSON | {"email": "  Jean.Dubois@EXAMPLE.Org "}
    response = client.post("/api/v1/patients", json=body, headers=api_as("front_desk"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["email"] == "jean.dubois@example.org"
    assert db.session.get(Patient, response.get_json()["id"]).email == "jean.dubois@example.org"


def test_the_form_says_what_is_wrong_in_french(client, login, make_user, paris, post_form, db):
    login(make_user("front_desk", sites=[paris], language="fr"))
    response = post_form("/patients/new", _form(email="helene@exemple"), token_from="/patients/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Adresse e-mail non valide : écrivez-la sous la forme nom@exemple.fr, sans espaces." in html
    assert 'value="helene@exemple"' in html and _stored(db) is None


def test_the_form_says_what_is_wrong_in_english(client, login_as, post_form, db):
    login_as("front_desk")
    response = post_form("/patients/new", _form(email="helene@@exemple.fr"), token_from="/patients/new")
    assert response.status_code == 422
    assert "Not a valid e-mail address: write it as name@example.com, without spaces." in response.get_data(as_text=True)


def test_an_accented_address_is_registered_when_the_relay_offers_smtputf8(app, client, login_as, post_form, db):
    with smtp.relay(app, smtputf8=True):
        login_as("front_desk")
        response = post_form("/patients/new", _form(email="Hélène@Exemple.FR"), token_from="/patients/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _stored(db).email == ACCENTED  # normalized: the library's form, in lower case


def test_the_form_refuses_an_accented_address_the_relay_cannot_carry(app, client, login, make_user, paris,
                                                                      post_form, db):
    """Auto: the relay's EHLO offers no SMTPUTF8, so the desk is told to ask for another address."""
    with smtp.relay(app, smtputf8=False):
        login(make_user("front_desk", sites=[paris], language="fr"))
        response = post_form("/patients/new", _form(), token_from="/patients/new")
        assert response.status_code == 422
        assert REFUSED_FR in response.get_data(as_text=True) and _stored(db) is None
        plain = post_form("/patients/new", _form(email="helene@exemple.fr"), token_from="/patients/new")
    assert plain.status_code == 302 and _stored(db).email == "helene@exemple.fr"


def test_the_api_refuses_an_accented_address_the_relay_cannot_carry(app, client, api_as, db):
    with smtp.relay(app, smtputf8=False):
        response = client.post("/api/v1/patients", json=PATIENT_JSON | {"email": "jean@exémple.fr"},
                               headers=api_as("front_desk"))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["details"]["email"].startswith(REFUSED_EN)


def test_the_relay_is_asked_once(app, client, api_as, db, monkeypatch):
    asked = []
    real = international.probe
    monkeypatch.setattr(international, "probe", lambda config: asked.append(1) or real(config))
    with smtp.relay(app, smtputf8=True):
        headers = api_as("front_desk")
        for n in range(3):
            body = PATIENT_JSON | {"email": f"hélène{n}@exemple.fr", "allow_duplicate": True}
            assert client.post("/api/v1/patients", json=body, headers=headers).status_code == 201
    assert len(asked) == 1


def test_an_unreachable_relay_refuses_accented_addresses(app, client, api_as, db):
    """Auto fails closed: a relay that does not answer is one that may not carry the address."""
    international.forget()
    with smtp.sending_to(app, smtp.free_port()):
        response = client.post("/api/v1/patients", json=PATIENT_JSON | {"email": ACCENTED}, headers=api_as("front_desk"))
        ascii_only = client.post("/api/v1/patients", json=PATIENT_JSON | {"email": "helene@exemple.fr"},
                                 headers=api_as("front_desk"))
    international.forget()
    assert response.status_code == 422 and response.get_json()["error"]["details"]["email"].startswith(REFUSED_EN)
    assert ascii_only.status_code == 201


@pytest.mark.parametrize("value, status", [("yes", 201), ("no", 422), ("maybe", 422)])
def test_the_setting_says_so_without_asking(client, api_as, db, setting, value, status):
    """"yes" and "no" need no relay; a value the code does not know refuses (fails closed)."""
    setting(value)
    response = client.post("/api/v1/patients", json=PATIENT_JSON | {"email": ACCENTED}, headers=api_as("front_desk"))
    assert response.status_code == status, response.get_json()


def test_the_edit_form_checks_the_address_too(app, client, login_as, post_form, make_patient, db):
    patient = make_patient(last_name="Grimaud")
    with smtp.relay(app, smtputf8=False):
        login_as("front_desk")
        response = post_form(f"/patients/{patient.id}/edit", _form(), token_from=f"/patients/{patient.id}/edit")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "mail server cannot deliver to it; ask for another address." in html
    db.session.refresh(patient)
    assert patient.email != ACCENTED
