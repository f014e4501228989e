"""Levels belong to their region: C for cervical, T thoracic, L lumbar, S sacral, junctions shared.
Checked through the API and the booking page, and table-driven against the data file."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.catalog.regions import level_problem
from tests.web import csrf_token

START = "2026-03-02T09:00:00+01:00"


@pytest.mark.parametrize("region, level, fits", [
    ("cervical", "C5-C6", True), ("cervical", "C7-T1", True), ("cervical", "C8", True), ("cervical", "L4-L5", False),
    ("cervical", "T12-L1", False), ("thoracic", "T7-T8", True), ("thoracic", "C7-T1", True), ("thoracic", "L1", False),
    ("lumbar", "L4-L5", True), ("lumbar", "L5-S1", True), ("lumbar", "T12-L1", True), ("lumbar", "S1", False),
    ("lumbar", "L6", False), ("lumbar", "L0-L1", False), ("sacral", "S1", True), ("sacral", "L5-S1", True),
    ("sacral", "L4-L5", False), (None, "T13", False), (None, "C9", False), (None, "L3", True), (None, "X1", False),
])
def test_levels_by_region(region, level, fits):
    assert (level_problem(level, region) is None) is fits


@pytest.fixture
def desk(db, paris, make_user, make_patient, api_token):
    make_user("physician", sites=[paris])
    user = make_user("front_desk", sites=[paris])
    return {"user": user, "headers": api_token(user), "patient": make_patient()}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 2, 20, tzinfo=dt.UTC), tick=False):
        yield


def _book(client, desk, region, levels):
    return client.post("/api/v1/appointments", headers=desk["headers"], json={
        "patient_id": desk["patient"].id, "location": "paris-test", "procedure": "esi-interlaminar",
        "start": START, "region": region, "levels": levels})


def test_the_api_refuses_a_lumbar_level_for_a_cervical_epidural(client, desk):
    r = _book(client, desk, "cervical", ["L4-L5"])
    assert r.status_code == 422
    assert r.get_json()["error"]["details"]["levels"] == "L4-L5 is not a cervical level."
    assert _book(client, desk, "cervical", ["C7-T1"]).status_code == 201


def test_the_booking_page_says_which_levels_do_not_fit(client, login, desk, paris):
    login(desk["user"])
    url = f"/appointments/book/{desk['patient'].id}"
    data = {"site": paris.code, "procedure": "esi-interlaminar", "region": "cervical", "side": "left",
            "levels": "C6-C7, L4-L5", "physician": "", "week": "2026-03-02", "search": "1"}
    r = client.post(url, data={"csrf_token": csrf_token(client), **data})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "L4-L5: not a level of this region" in html and 'value="C6-C7, L4-L5"' in html
    r = client.post(url, data={"csrf_token": csrf_token(client), **data, "levels": "C6-C7"})
    assert r.status_code == 200
