"""Phones as the desk types them: parsed with the registering site's country as default region and
stored in E.164; a number that is not one is a 422 naming `phone` (API) or a field error (form)."""

import re

import pytest

from clinic.patients.models import Patient

BODY = {"first_name": "Marie", "last_name": "Dubois", "birth_date": "1961-04-02", "email": "marie@example.org",
        "language": "fr"}


@pytest.mark.parametrize("typed, site, expected", [
    ("06 12 34 56 78", "paris", "+33612345678"),
    ("01.42.33.44.55", "paris", "+33142334455"),
    ("(612) 555-0142", "minnesota", "+16125550142"),
    ("952-448-3100", "minnesota", "+19524483100"),
    ("+33 6 12 34 56 78", "minnesota", "+33612345678"),  # a country code wins over the site's
])
def test_local_formats_stored_in_e164(client, make_user, api_token, request, typed, site, expected):
    user = make_user("front_desk", sites=[request.getfixturevalue(site)])
    response = client.post("/api/v1/patients", json={**BODY, "phone": typed, "sms_opt_in": True},
                           headers=api_token(user))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["phone"] == expected and body["sms_opt_in"] is True
    again = client.get(f"/api/v1/patients/{body['id']}", headers=api_token(user)).get_json()
    assert again["phone"] == expected and again["sms_opt_in"] is True


def test_the_location_names_the_region(client, make_user, api_token, paris, minnesota):
    headers = api_token(make_user("admin"))
    us = client.post("/api/v1/patients", json={**BODY, "phone": "612 555 0142", "location": minnesota.code},
                     headers=headers)
    assert us.status_code == 201 and us.get_json()["phone"] == "+16125550142"
    assert us.get_json()["sms_opt_in"] is False  # the default
    fr = client.post("/api/v1/patients", json={**BODY, "phone": "612 555 0142", "location": paris.code},
                     headers=headers)
    assert fr.status_code == 422 and "phone" in fr.get_json()["error"]["details"]
    unknown = client.post("/api/v1/patients", json={**BODY, "location": "nowhere"}, headers=headers)
    assert unknown.status_code == 422 and "location" in unknown.get_json()["error"]["details"]


@pytest.mark.parametrize("change, field", [
    ({"phone": "12 34"}, "phone"),
    ({"phone": "06 12 34"}, "phone"),
    ({"phone": "call me"}, "phone"),
    ({"phone": "+99 123 456 789"}, "phone"),
    ({"sms_opt_in": True}, "sms_opt_in"),   # texts need a number
    ({"sms_opt_in": "yes"}, "sms_opt_in"),
])
def test_bad_numbers_are_named(client, make_user, api_token, paris, db, change, field):
    response = client.post("/api/v1/patients", json={**BODY, **change},
                           headers=api_token(make_user("front_desk", sites=[paris])))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]
    assert db.session.execute(db.select(Patient).where(Patient.last_name == "Dubois")).first() is None


def _form(**over):
    data = {"first_name": "Jean", "last_name": "Valjean", "birth_date": "1950-01-31", "email": "jean@example.org",
            "phone": "", "language": "fr"}
    data.update(over)
    return data


def test_the_form_parses_and_refuses(client, login_as, post_form, db):
    login_as("front_desk")  # at the Paris test site
    bad = post_form("/patients/new", _form(phone="12 34", sms_opt_in="y"), token_from="/patients/new")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Not a valid phone number" in html and 'value="12 34"' in html and 'aria-invalid="true"' in html
    lonely = post_form("/patients/new", _form(sms_opt_in="y"), token_from="/patients/new")
    assert lonely.status_code == 422 and "Text messages need a phone number." in lonely.get_data(as_text=True)
    good = post_form("/patients/new", _form(phone="06 12 34 56 78", sms_opt_in="y"), token_from="/patients/new")
    assert good.status_code == 302
    patient = db.session.execute(db.select(Patient).where(Patient.last_name == "Valjean")).scalar_one()
    assert (patient.phone, patient.sms_opt_in) == ("+33612345678", True)
    edit = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="sms_opt_in"[^>]*>', edit).group(0)
    assert 'value="+33612345678"' in edit and "checked" in box, box


def test_the_form_speaks_french(client, login, make_user, paris, post_form, db):
    login(make_user("front_desk", sites=[paris], language="fr"))
    form = client.get("/patients/new").get_data(as_text=True)
    assert "Téléphone portable" in form and "Envoyer aussi par SMS" in form
    bad = post_form("/patients/new", _form(phone="12 34"), token_from="/patients/new")
    assert bad.status_code == 422 and "Numéro de téléphone non valable" in bad.get_data(as_text=True)
    good = post_form("/patients/new", _form(phone="06 12 34 56 78", sms_opt_in="y"), token_from="/patients/new")
    page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "+33612345678" in page and "<dt>SMS</dt><dd>Oui</dd>" in page
