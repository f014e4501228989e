"""The API's pydantic models: strictness as the contract says, the error body naming each bad
field, and a document written from the same models that check the requests."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.api.openapi import document
from clinic.scheduling.services import BOOLEAN_ANSWERS, NUMBER_ANSWERS

START = "2026-03-02T09:00:00+01:00"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 2, 20, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def desk(db, paris, make_user, make_patient, api_token):
    make_user("physician", sites=[paris])
    return {"patient": make_patient(), "h": api_token(make_user("front_desk", sites=[paris]))}


def _book(client, desk, **changes):
    body = {"patient_id": desk["patient"].id, "location": "paris-test", "procedure": "esi-interlaminar",
            "start": START, **changes}
    return client.post("/api/v1/appointments", json=body, headers=desk["h"])


@pytest.mark.parametrize(("field", "value"), [
    ("physician_id", "3"),                     # no "3" for 3
    ("sedation", 1),                           # no 1 for true
    ("start", "2026-03-02T09:00:00"),          # no instant without an offset
    ("start", "1772438400"),                   # nor a timestamp written as text
    ("start", 1772438400),
    ("levels", ["L4-L5", 5]),                  # an item of a list names the list
    ("screening", {"fever": "no"}),
    ("screening", {"conservative_care_weeks": True}),
])
def test_a_booking_refuses_loose_types_naming_the_field(client, desk, field, value):
    answer = _book(client, desk, **{field: value})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "invalid" and set(error) == {"code", "message", "details"}
    assert list(error["details"]) == [field if field != "screening" else f"screening.{next(iter(value))}"]


def test_every_bad_field_is_named_at_once(client, desk, paris, make_user, api_token):
    desk["h"] = api_token(make_user("physician", sites=[paris]))  # a physician may give an override
    answer = _book(client, desk, start="soon", side="up", override={"reason": " "})
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["details"]) == {"start", "side", "override.reason"}


def test_an_unknown_site_answers_404_before_the_bad_fields_422(client, db, make_user, api_token):
    headers = api_token(make_user("admin"))
    answer = client.post("/api/v1/appointments", json={"location": "nowhere", "patient_id": 1, "start": "soon"},
                         headers=headers)
    assert answer.status_code == 404


@pytest.mark.parametrize(("query", "field"), [("days=3.0", "days"), ("days=0", "days"), ("date=0", "date"),
                                              ("date=2026-3-2", "date"), ("physician=0", "physician"),
                                              ("group=", "group")])
def test_a_query_reads_its_text_as_the_declared_types(client, desk, query, field):
    base = "/api/v1/availability?location=paris-test&procedure=esi-interlaminar"
    query = query if query.startswith("date=") else f"date=2026-03-02&{query}"
    answer = client.get(f"{base}&{query}", headers=desk["h"])
    assert answer.status_code == 422 and field in answer.get_json()["error"]["details"]


def test_an_empty_optional_argument_counts_as_absent(client, desk):
    answer = client.get("/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date=2026-03-02"
                        "&days=&physician=", headers=desk["h"])
    assert answer.status_code == 200


def test_the_document_is_written_from_the_models_that_check_the_requests():
    spec = document()
    schemas = spec["components"]["schemas"]
    assert set(schemas["Screening"]["properties"]) == {*BOOLEAN_ANSWERS, *NUMBER_ANSWERS}
    assert schemas["Screening"]["additionalProperties"] is False
    assert set(schemas["BookingInput"]["required"]) == {"patient_id", "location", "procedure", "start"}
    assert schemas["WaitingEntryInput"]["additionalProperties"] is False and "from" in schemas["WaitingEntryInput"]["properties"]
    assert schemas["TimeOffInput"]["properties"]["start"] == {"format": "date-time", "type": "string"}
    days = next(p for p in spec["paths"]["/api/v1/availability"]["get"]["parameters"] if p["name"] == "days")
    assert days["schema"]["minimum"] == 1 and days["schema"]["maximum"] == 120
    assert all("title" not in prop for schema in schemas.values() for prop in schema.get("properties", {}).values())
