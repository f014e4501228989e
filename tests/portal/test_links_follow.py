"""Patient links follow the appointment: a cancelled one's preparation page says so and gives no
instructions, pain is asked only after a completed procedure, links die with erasure, and CSV
downloads are never cached."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from clinic.audit.models import AuditEvent
from clinic.links.tokens import make_token
from clinic.outcomes.models import PainScore
from clinic.scheduling.models import AppointmentStatus
from tests.web import csrf_token

HOLD = {"drug": "clopidogrel", "stop_on": "2026-06-03", "restart_after": "2026-06-11T10:30:00+02:00"}
NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def link(purpose, appointment, moment=None):
    return f"/p/{purpose}/{make_token(purpose, appointment.patient_id, appointment.id, moment)}"


def test_a_cancelled_appointments_preparation_page_says_so_without_instructions(client, db, post_form,
                                                                                login_as, make_appointment):
    appointment = make_appointment(medication_holds=[HOLD], preparation=[{"code": "escort", "text": "Venez accompagné"}])
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        url = link("prepare", appointment)
        before = client.get(url).get_data(as_text=True)
        assert "clopidogrel" in before and "annulé" not in before
        login_as("front_desk")
        cancelled = post_form(f"/appointments/{appointment.id}/cancel", {"reason": "patient_request"},
                              token_from=f"/appointments/{appointment.id}/cancel")
        assert cancelled.status_code == 302, cancelled.get_data(as_text=True)[:300]
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "a été annulé" in html and appointment.site.phone in html
    assert "clopidogrel" not in html and "Venez accompagné" not in html
    assert html.count("<h1") == 1


@pytest.mark.parametrize("status", [AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_pain_is_asked_only_after_a_completed_procedure(client, db, make_appointment, status):
    appointment = make_appointment(status=status)
    db.session.commit()
    url = link("pain", appointment, "day7")
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Rien n'a été enregistré" in html and 'name="score"' not in html
    posted = client.post(url, data={"csrf_token": csrf_token(client, url), "score": "4", "note": "x"})
    assert "Rien n'a été enregistré" in posted.get_data(as_text=True)
    assert db.session.scalars(sa.select(PainScore).where(PainScore.appointment_id == appointment.id)).all() == []
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("pain_score.%"))).all()


def test_a_completed_procedure_takes_the_score(client, db, make_appointment):
    appointment = make_appointment(status=AppointmentStatus.COMPLETED)
    db.session.commit()
    url = link("pain", appointment, "day7")
    assert 'name="score"' in client.get(url).get_data(as_text=True)
    client.post(url, data={"csrf_token": csrf_token(client, url), "score": "4", "note": ""})
    [score] = db.session.scalars(sa.select(PainScore).where(PainScore.appointment_id == appointment.id)).all()
    assert score.score == 4


@pytest.mark.parametrize("purpose", ["prepare", "pain", "cancel", "optout"])
def test_links_stop_working_after_erasure(client, db, post_form, login_as, make_appointment, purpose):
    appointment = make_appointment(status=AppointmentStatus.COMPLETED if purpose == "pain" else AppointmentStatus.BOOKED)
    db.session.commit()
    url = link(purpose, appointment, "day7" if purpose == "pain" else None)
    assert client.get(url).status_code == 200
    login_as("admin")
    erase = f"/admin/patients/{appointment.patient_id}/erase"
    assert post_form(erase, {"confirmation": appointment.patient.last_name}, token_from=erase).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    response = client.get(url)
    assert response.status_code == 410 and "Erased" not in response.get_data(as_text=True)
    reads = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == f"portal.{purpose}.view")).all()
    assert len(reads) == 1   # the read before the erasure only


@pytest.mark.parametrize("path", ["/audit/export.csv", "/outcomes/report.csv"])
def test_csv_downloads_are_not_cached(client, login_as, path):
    login_as("admin")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"



def _payload(url: str) -> object:
    from itsdangerous import URLSafeSerializer

    token = url.rsplit("/", 1)[1]
    return URLSafeSerializer("any key: the payload is read without checking").load_payload(token.split(".")[0].encode())


def test_the_link_names_nobody(client, db, make_appointment):
    """What anyone can decode from the token is not the claims: no JSON, no id, no moment; two links
    to the same appointment differ; each still opens its page."""
    import base64
    import json

    appointment = make_appointment(status=AppointmentStatus.COMPLETED)
    db.session.commit()
    urls = [link("pain", appointment, "day7") for _ in range(2)]
    assert urls[0] != urls[1]
    for url in urls:
        payload = _payload(url)
        assert isinstance(payload, str)
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        assert b'"p":' not in raw and b'"a":' not in raw and b"day7" not in raw
        with pytest.raises(ValueError):
            json.loads(raw)
        assert 'name="score"' in client.get(url).get_data(as_text=True)


def test_a_link_sent_before_the_claims_were_sealed_still_opens(client, app, db, make_appointment):
    from itsdangerous import URLSafeTimedSerializer

    appointment = make_appointment()
    db.session.commit()
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="clinic.portal.prepare").dumps(
        {"p": appointment.patient_id, "a": appointment.id})
    assert _payload(f"/p/prepare/{old}") == {"p": appointment.patient_id, "a": appointment.id}
    response = client.get(f"/p/prepare/{old}")
    assert response.status_code == 200 and appointment.patient.first_name in response.get_data(as_text=True)
