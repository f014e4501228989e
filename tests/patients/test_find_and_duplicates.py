"""Finding a patient as the desk types (accents, phone formats, the user's date format) and the
warning before registering someone the organisation already holds, through the API and the page."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.patients.models import Patient

BODY = {"first_name": "Hélène", "last_name": "Dupont", "birth_date": "1960-03-13", "email": "helene@test.example",
        "phone": "06 12 34 56 78", "language": "fr", "location": "paris-test"}


@pytest.fixture
def desk(db, paris, make_user, api_token):
    return api_token(make_user("front_desk", sites=[paris]))


@pytest.fixture
def helene(make_patient, paris):
    return make_patient(site=paris, first_name="Hélène", last_name="Dupont", birth_date=dt.date(1960, 3, 13),
                        email="helene@test.example", phone="+33612345678")


def _found(client, headers, q) -> list[int]:
    response = client.get("/api/v1/patients", query_string={"q": q}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [p["id"] for p in response.get_json()["patients"]]


@pytest.mark.parametrize("q", ["helene", "HELENE dupont", "Hélène", "dupont hel", "hélene DUPONT"])
def test_a_name_is_found_whatever_its_accents_and_case(client, desk, helene, make_patient, paris, q):
    make_patient(site=paris, first_name="Helena", last_name="Martin")
    assert _found(client, desk, q) == [helene.id]


@pytest.mark.parametrize("q", ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33 6 12 34 56 78", "+33612345678"])
def test_a_french_phone_is_found_in_any_common_format(client, desk, helene, q):
    assert _found(client, desk, q) == [helene.id]


def test_a_us_phone_is_found_in_any_common_format(client, db, minnesota, make_user, make_patient, api_token):
    olson = make_patient(site=minnesota, last_name="Olson", phone="+16125550142")
    headers = api_token(make_user("front_desk", sites=[minnesota], language="en"))
    for q in ("(612) 555-0142", "612-555-0142", "612.555.0142", "+1 612 555 0142"):
        assert _found(client, headers, q) == [olson.id], q
    assert _found(client, headers, "555-0199") == []


def test_a_birth_date_in_the_users_own_format(client, db, paris, minnesota, make_user, make_patient, api_token,
                                              helene):
    french = api_token(make_user("front_desk", sites=[paris], language="fr"))
    assert _found(client, french, "13/03/1960") == [helene.id]
    assert _found(client, french, "1960-03-13") == [helene.id]
    assert _found(client, french, "03/13/1960") == []           # no 13th month in French order
    olson = make_patient(site=minnesota, last_name="Olson", birth_date=dt.date(1960, 3, 13))
    english = api_token(make_user("front_desk", sites=[minnesota], language="en"))
    assert _found(client, english, "3/13/1960") == [olson.id]


def test_the_search_page_finds_hélène_by_helene(client, login_as, helene):
    login_as("front_desk")
    html = client.get("/patients/", query_string={"q": "helene"}).get_data(as_text=True)
    assert "Dupont, Hélène" in html


def test_a_renamed_patient_is_found_by_the_new_name_only(client, desk, db, helene):
    helene.last_name = "Lefèvre"
    db.session.commit()
    assert _found(client, desk, "lefevre") == [helene.id]
    assert _found(client, desk, "dupont") == []


def test_the_api_answers_possible_duplicate_and_registers_when_told(client, desk, db, helene):
    response = client.post("/api/v1/patients", json={**BODY, "first_name": "Helene", "email": "other@test.example",
                                                     "phone": ""}, headers=desk)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "possible_duplicate" and error["details"]["patients"] == [helene.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 1
    shown = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "patient.duplicate_check")).all()
    assert [e.patient_id for e in shown] == [helene.id]
    again = client.post("/api/v1/patients", json={**BODY, "allow_duplicate": True}, headers=desk)
    assert again.status_code == 201 and again.get_json()["id"] != helene.id


@pytest.mark.parametrize("change", [
    {"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1971-01-01", "phone": ""},       # the same e-mail
    {"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1971-01-01", "email": "j@test.example",
     "phone": "+33 6 12 34 56 78"},                                                                # the same phone
    {"first_name": "Dupont", "last_name": "Hélène", "email": "j@test.example", "phone": ""},         # names swapped
    {"last_name": "Dupond", "email": "j@test.example", "phone": ""},                                # one letter off
])
def test_each_kind_of_likeness_is_a_possible_duplicate(client, desk, helene, change):
    response = client.post("/api/v1/patients", json={**BODY, **change}, headers=desk)
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["details"]["patients"] == [helene.id]


def test_the_same_birth_date_with_another_name_is_not_a_duplicate(client, desk, helene):
    body = {**BODY, "first_name": "Marc", "last_name": "Lambert", "email": "marc@test.example", "phone": ""}
    assert client.post("/api/v1/patients", json=body, headers=desk).status_code == 201


def test_another_organisations_patient_is_never_a_duplicate(client, db, minnesota, make_user, make_patient,
                                                           api_token, desk):
    make_patient(site=minnesota, first_name="Hélène", last_name="Dupont", birth_date=dt.date(1960, 3, 13),
                 email="helene@test.example", phone="+33612345678")
    response = client.post("/api/v1/patients", json=BODY, headers=desk)
    assert response.status_code == 201, response.get_json()


def test_the_page_offers_the_existing_record_then_registers_when_confirmed(client, login_as, post_form, db,
                                                                           helene):
    login_as("front_desk")
    form = {"first_name": "Helene", "last_name": "Dupont", "birth_date": "1960-03-13", "email": "h2@test.example",
            "phone": "", "language": "fr", "location": "paris-test"}
    response = post_form("/patients/new", form, token_from="/patients/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f'href="/patients/{helene.id}"' in html and 'name="allow_duplicate"' in html
    assert 'value="Helene"' in html                                   # nothing typed is lost
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 1
    confirmed = post_form("/patients/new", {**form, "allow_duplicate": "y"}, token_from="/patients/new")
    assert confirmed.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 2
