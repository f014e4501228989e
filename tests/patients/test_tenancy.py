"""A patient belongs to the organisation where they were registered: search, the list and its
pages never return another organisation's patient, for any role; the deployment's administrator
sees every organisation, an organisation's administrator their own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clinic.patients.models import Patient

NAME = "Lindqvist"


@pytest.fixture
def both(db, paris, minnesota, make_patient):
    """Three patients named NAME in each organisation."""
    made = {"paris": [make_patient(site=paris, last_name=NAME) for _ in range(3)],
            "minnesota": [make_patient(site=minnesota, last_name=NAME) for _ in range(3)]}
    return {k: {p.id for p in v} for k, v in made.items()}


def _all_pages(client, headers, q=""):
    ids, page, total = [], 1, None
    while True:
        body = client.get(f"/api/v1/patients?q={q}&per_page=2&page={page}", headers=headers).get_json()
        total = body["total"]
        ids += [p["id"] for p in body["patients"]]
        if not body["patients"]:
            return ids, total
        page += 1


@pytest.mark.parametrize("role", ["front_desk", "physician", "nurse"])
def test_search_and_pages_stay_in_the_organisation(client, paris, both, api_as, role):
    headers = api_as(role, sites=[paris])
    for q in (NAME, ""):
        ids, total = _all_pages(client, headers, q)
        assert set(ids) & both["minnesota"] == set()
        assert both["paris"] <= set(ids) and total == len(ids)


def test_patient_list_page_shows_own_organisation_only(client, db, paris, minnesota, both, login_as):
    login_as("front_desk", sites=[minnesota])
    body = client.get(f"/patients/?q={NAME}").get_data(as_text=True)
    shown = {int(pid) for pid in __import__("re").findall(r'href="/patients/(\d+)"', body)}
    assert shown == both["minnesota"]


def test_other_organisation_patient_is_404_on_page_and_api(client, paris, minnesota, both, login_as, api_as):
    theirs = min(both["minnesota"])
    login_as("front_desk", sites=[paris])
    assert client.get(f"/patients/{theirs}").status_code == 404
    assert client.get(f"/patients/{theirs}/edit").status_code == 404
    assert client.get(f"/api/v1/patients/{theirs}", headers=api_as("nurse", sites=[paris])).status_code == 404
    assert client.get(f"/api/v1/patients/{min(both['paris'])}",
                      headers=api_as("nurse", sites=[paris])).status_code == 200


def test_admins_see_their_scope(client, db, paris, both, make_user, api_token):
    deployment = api_token(make_user("admin"))
    ids, _total = _all_pages(client, deployment, NAME)
    assert set(ids) == both["paris"] | both["minnesota"]
    org_admin = make_user("admin")
    org_admin.organisation_id = paris.organisation_id
    db.session.commit()
    ids, _total = _all_pages(client, api_token(org_admin), NAME)
    assert set(ids) == both["paris"]


def test_registration_takes_the_site_organisation(client, db, paris, minnesota, make_site, api_as):
    drouot = make_site(organisation=paris.organisation)
    headers = api_as("front_desk", sites=[paris, drouot])
    body = {"first_name": "Ana", "last_name": "Reg", "birth_date": "1970-01-02", "email": "ana@test.example",
            "language": "fr"}
    created = client.post("/api/v1/patients", headers=headers, json=body)
    assert created.status_code == 201
    assert db.session.get(Patient, created.get_json()["id"]).organisation_id == paris.organisation_id
    refused = client.post("/api/v1/patients", headers=headers, json=body | {"location": minnesota.code})
    assert refused.status_code == 422 and "location" in refused.get_json()["error"]["details"]
    admin = client.post("/api/v1/patients", headers=api_as("admin"), json=body | {"email": "b@test.example"})
    assert admin.status_code == 422 and "location" in admin.get_json()["error"]["details"]
    placed = client.post("/api/v1/patients", headers=api_as("admin"),
                         json=body | {"email": "c@test.example", "location": minnesota.code})
    assert placed.status_code == 201
    assert db.session.get(Patient, placed.get_json()["id"]).organisation_id == minnesota.organisation_id


def test_create_user_gives_an_admin_one_organisation(app, db, paris, minnesota):
    from clinic.accounts.models import User

    def create(*extra, email):
        return app.test_cli_runner().invoke(args=["clinic", "create-user", "--email", email, "--name", "N",
                                                  "--password", "correct-horse-9", *extra])

    assert create("--role", "admin", "--organisation", paris.organisation.code, email="oa@test.example").exit_code == 0
    assert create("--role", "admin", email="da@test.example").exit_code == 0
    refused = create("--role", "nurse", "--location", paris.code, "--organisation", paris.organisation.code,
                     email="n@test.example")
    assert refused.exit_code != 0 and "Only an admin" in refused.output
    wrong = create("--role", "admin", "--location", minnesota.code, "--organisation", paris.organisation.code,
                   email="w@test.example")
    assert wrong.exit_code != 0 and minnesota.code in wrong.output
    by_email = {u.email: u for u in db.session.scalars(sa.select(User))}
    assert by_email["oa@test.example"].organisation_ids() == {paris.organisation_id}
    assert by_email["oa@test.example"].site_ids() == {paris.id}
    assert by_email["da@test.example"].organisation_ids() is None
