"""Request logs: one JSON line per request with its id, route, status and duration; a journey
through the demo data leaves no patient name, e-mail, query string or token in them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
import time_machine

from clinic.accounts.models import ApiToken, User
from clinic.patients.models import Patient

NEW = {"first_name": "Eloise", "last_name": "Vandermeer", "email": "eloise.vandermeer@example.org"}


@pytest.fixture
def demo(app, db):
    with time_machine.travel(dt.datetime(2026, 2, 16, 9, tzinfo=dt.UTC), tick=False):
        result = app.test_cli_runner().invoke(args=["clinic", "seed-demo"])
        assert result.exit_code == 0, result.output
        yield db


def _lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def _journey(client, db, token: str) -> None:
    h = {"Authorization": f"Bearer {token}"}
    patients = db.session.execute(sa.select(Patient).order_by(Patient.id)).scalars().all()
    marie = patients[0]
    assert client.get(f"/api/v1/patients?q={marie.last_name}", headers=h).get_json()["total"] >= 1
    assert client.get(f"/api/v1/patients?q={marie.email}", headers=h).status_code == 200
    created = client.post("/api/v1/patients", headers=h, json={
        **NEW, "birth_date": "1971-04-03", "language": "fr", "conditions": [], "allergies": [], "medications": []})
    assert created.status_code == 201, created.get_json()
    bad = client.post("/api/v1/patients", headers=h, json={**NEW, "birth_date": "tomorrow"})
    assert bad.status_code == 422
    slots = client.get("/api/v1/availability?location=paris-bachaumont&procedure=esi-interlaminar&date=2026-02-23&days=3",
                       headers=h).get_json()["slots"]
    booked = client.post("/api/v1/appointments", headers=h, json={
        "patient_id": created.get_json()["id"], "location": "paris-bachaumont", "procedure": "esi-interlaminar",
        "start": slots[0]["start"], "physician_id": slots[0]["physician_id"]})
    assert booked.status_code == 201, booked.get_json()
    cancel = client.post(f"/api/v1/appointments/{booked.get_json()['id']}/cancel", headers=h,
                         json={"reason": f"{NEW['first_name']} {NEW['last_name']} called"})
    assert cancel.status_code == 200
    assert client.get(f"/api/v1/patients/{marie.id}", headers=h).status_code == 200
    assert client.get("/api/v1/patients/999999999", headers=h).status_code == 404


def test_a_journey_logs_requests_but_no_patient_data(client, demo, login, capsys):
    desk = demo.session.execute(sa.select(User).where(User.email == "accueil@clinic.example")).scalar_one()
    token, raw = ApiToken.issue(desk, "logs")
    demo.session.add(token)
    demo.session.commit()
    capsys.readouterr()
    with time_machine.travel(dt.datetime(2026, 2, 16, 9, tzinfo=dt.UTC), tick=False):
        login(desk, "accueil-demo-2026")
        patients = demo.session.execute(sa.select(Patient)).scalars().all()
        assert client.get(f"/patients/?q={patients[1].last_name}").status_code == 200
        assert client.get(f"/patients/{patients[1].id}").status_code == 200
        _journey(client, demo, raw)
    err = capsys.readouterr().err
    lines = _lines(err)
    requests = [x for x in lines if x["logger"] == "clinic.request"]
    assert len(requests) >= 12
    assert all({"request_id", "method", "route", "status", "duration_ms"} <= set(x) for x in requests)
    assert {"route": "/api/v1/patients", "status": 200} in [{"route": x["route"], "status": x["status"]} for x in requests]
    assert any(x["route"] == "/api/v1/patients/<int:patient_id>" and x["status"] == 404 for x in requests)
    secrets = [raw, "accueil-demo-2026", NEW["last_name"], NEW["email"]]
    for p in demo.session.execute(sa.select(Patient)).scalars():
        secrets += [p.last_name, p.email, f"{p.first_name} {p.last_name}"]
    found = [s for s in secrets if s.lower() in err.lower()]
    assert not found, found
    assert "?q=" not in err and "q=" not in err


def test_the_request_id_is_taken_from_the_caller_or_made_and_returned(client, capsys):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.19"})
    made = client.get("/healthz", headers={"X-Request-ID": "Marie Dubois <marie@example.org>"})
    assert given.headers["X-Request-ID"] == "lb-7f3a.19"
    assert made.headers["X-Request-ID"] != "" and "Marie" not in made.headers["X-Request-ID"]
    lines = [x for x in _lines(capsys.readouterr().err) if x["logger"] == "clinic.request"]
    assert [x["request_id"] for x in lines[-2:]] == ["lb-7f3a.19", made.headers["X-Request-ID"]]
    assert lines[-1]["route"] == "/healthz" and lines[-1]["method"] == "GET" and lines[-1]["status"] == 200
    assert "marie" not in capsys.readouterr().err.lower()


def test_log_records_of_a_request_carry_its_id(app, client, capsys):
    import logging

    with app.test_request_context("/"):
        from flask import g

        g.request_id = "abc123"
        logging.getLogger("clinic.somewhere").warning("counted %d", 3)
    (line,) = [x for x in _lines(capsys.readouterr().err) if x["logger"] == "clinic.somewhere"]
    assert line["request_id"] == "abc123" and line["message"] == "counted 3" and line["level"] == "WARNING"
