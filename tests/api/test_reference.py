"""Locations, procedures and physicians over the API."""

from clinic.catalog import load_procedures


def test_locations_lists_the_callers_sites(client, api_as, paris, minnesota):
    response = client.get("/api/v1/locations", headers=api_as("front_desk", sites=[paris]))
    assert response.status_code == 200
    codes = [loc["code"] for loc in response.get_json()["locations"]]
    assert codes == ["paris-test"]


def test_admin_sees_every_site_with_time_zones(client, api_as, paris, minnesota):
    locations = client.get("/api/v1/locations", headers=api_as("admin")).get_json()["locations"]
    zones = {loc["code"]: loc["timezone"] for loc in locations}
    assert zones["paris-test"] == "Europe/Paris" and zones["mn-test"] == "America/Chicago"
    assert set(locations[0]) >= {"code", "name", "timezone", "country", "language", "address", "phone"}


def test_demo_token_lists_four_sites(app, db, client):
    """The seeded demo data and a token from the CLI give at least four sites in both zones."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["clinic", "seed-demo"]).exit_code == 0
    out = runner.invoke(args=["clinic", "api-token", "--email", "admin@clinic.example"]).output
    token = out.strip().split()[-1]
    locations = client.get("/api/v1/locations", headers={"Authorization": f"Bearer {token}"}).get_json()["locations"]
    assert len(locations) >= 4
    assert {"Europe/Paris", "America/Chicago"} <= {loc["timezone"] for loc in locations}


def test_procedures_carry_catalog_codes_and_language(client, api_as):
    body = client.get("/api/v1/procedures", headers=api_as("nurse")).get_json()
    codes = [p["code"] for p in body["procedures"]]
    assert codes == list(load_procedures())
    assert {"esi-interlaminar", "esi-transforaminal", "esi-caudal", "facet-joint", "medial-branch-block",
            "si-joint", "nerve-root-block", "rfa"} == set(codes)
    rfa = next(p for p in body["procedures"] if p["code"] == "rfa")
    assert rfa["steroid"] is False and rfa["imaging"] == ["fluoroscopy"] and rfa["duration_minutes"] == 60


def test_procedure_names_follow_language(client, make_user, api_token, paris):
    """The caller's language (a French-speaking user) names the procedures."""
    headers = api_token(make_user("nurse", sites=[paris], language="fr"))
    body = client.get("/api/v1/procedures", headers=headers).get_json()
    names = {p["code"]: p["name"] for p in body["procedures"]}
    assert names["si-joint"] == "Infiltration sacro-iliaque"


def test_physicians_at_a_site(client, api_as, make_user, paris, minnesota):
    doc = make_user("physician", sites=[paris], name="Dr Paris")
    make_user("physician", sites=[minnesota], name="Dr Minnesota")
    body = client.get("/api/v1/physicians?location=paris-test", headers=api_as("front_desk")).get_json()
    assert body["physicians"] == [{"id": doc.id, "name": "Dr Paris", "locations": ["paris-test"]}]


def test_physicians_of_another_site_forbidden(client, api_as, paris, minnesota):
    response = client.get("/api/v1/physicians?location=mn-test", headers=api_as("front_desk", sites=[paris]))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_unknown_location_for_admin_is_404(client, api_as):
    response = client.get("/api/v1/physicians?location=nowhere", headers=api_as("admin"))
    assert response.status_code == 404


def test_openapi_document_lists_the_routes(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/locations", "/api/v1/procedures", "/api/v1/physicians", "/api/v1/patients",
            "/api/v1/patients/{id}"} <= set(doc["paths"])
