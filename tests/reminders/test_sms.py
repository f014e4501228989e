"""Text messages through a real local HTTP server standing in for the SMS gateway: the day-before and
stop reminders of an opted-in patient go by SMS too, are retried after a 503 and failed after a 400,
reach the gateway once with two dispatchers, are written to instance/sms/ without a gateway, and a
STOP answer ends them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
import time_machine

from clinic import create_app
from clinic.audit.models import AuditEvent
from clinic.catalog.neutral import mail_name
from clinic.extensions import db as _db
from clinic.reminders.dispatcher import dispatch_once, dispatch_until_empty
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.reminders.schedule import in_quiet_hours
from clinic.scheduling import signals
from clinic.sms import gsm
from tests.processes import dispatcher
from tests.reminders.gateway import TOKEN, Gateway

BOOKED_AT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
HOLD = {"drug": "warfarin", "stop_on": "2026-06-05", "restart_after": "2026-06-11T10:30:00+02:00", "note": ""}


def _booked(make_appointment, make_patient, site=None, opt_in=True, phone="+33612345678", language="fr"):
    patient = make_patient(site=site, language=language, medications=["warfarin"], phone=phone, sms_opt_in=opt_in)
    appointment = make_appointment(site=site, patient=patient, medication_holds=[HOLD])
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    return appointment


def _rows(db, appointment, channel=None) -> list[Reminder]:
    stmt = sa.select(Reminder).where(Reminder.appointment_id == appointment.id).order_by(Reminder.id)
    if channel:
        stmt = stmt.where(Reminder.channel == channel)
    rows = list(db.session.execute(stmt).scalars())
    for row in rows:
        db.session.refresh(row)
    return rows


def test_the_day_before_and_stop_reminders_also_go_by_sms_at_the_same_time(db, make_appointment, make_patient):
    appointment = _booked(make_appointment, make_patient)
    sms = _rows(db, appointment, "sms")
    assert sorted(r.kind for r in sms) == ["day_before", "medication_stop"]
    email = {r.kind: r for r in _rows(db, appointment, "email")}
    site = appointment.site
    for row in sms:  # the e-mail's time, outside the site's quiet hours
        assert row.send_at == email[row.kind].send_at
        assert not in_quiet_hours(row.send_at.astimezone(site.tz), site.quiet_start, site.quiet_end)
    unwilling = _booked(make_appointment, make_patient, opt_in=False)
    assert _rows(db, unwilling, "sms") == []


def test_the_appointment_page_tells_the_texts_apart(db, client, login, make_user, make_appointment, make_patient):
    appointment = _booked(make_appointment, make_patient)
    login(make_user("front_desk", sites=[appointment.site]))
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    table = page.split("<h2>Reminders</h2>")[1].split("</table>")[0]
    assert table.count('<span class="tag">SMS</span>') == 2


def test_sent_to_the_gateway_retried_after_a_503(db, client, gateway, make_appointment, make_patient):
    appointment = _booked(make_appointment, make_patient)
    row = next(r for r in _rows(db, appointment, "sms") if r.kind == "day_before")
    for other in _rows(db, appointment):
        if other.id != row.id:
            other.status = ReminderStatus.CANCELLED  # this test follows one row
    db.session.commit()
    gateway.script = [503]
    with time_machine.travel(row.send_at + dt.timedelta(minutes=1), tick=False):
        first = dispatch_once(worker_id="t")
    db.session.refresh(row)
    assert (first.retrying, row.status, row.attempts) == (1, ReminderStatus.RETRYING, 1)
    assert "503" in row.last_error and row.next_attempt_at > row.send_at
    with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        second = dispatch_once(worker_id="t")
    db.session.refresh(row)
    assert (second.sent, row.status, row.attempts, row.message_id) == (1, ReminderStatus.SENT, 2, "gw-1")
    assert [r["status"] for r in gateway.received] == [503, 200]
    assert {r["authorization"] for r in gateway.received} == {f"Bearer {TOKEN}"}
    sent = gateway.accepted()[0]
    assert set(sent) == {"to", "body", "reference"}
    assert sent["to"] == "+33612345678" and sent["reference"] == f"r{row.id}"
    body = sent["body"]
    site = appointment.site
    assert mail_name(site) in body and site.phone in body and "10:00" in body
    assert gsm.is_gsm(body) and gsm.segments(body) == 1, body
    short = body.split("/m/")[1].split()[0]
    answer = client.get(f"/m/{short}")
    assert answer.status_code == 302 and "/p/m/" in answer.headers["Location"]
    assert client.get("/m/not-a-token").status_code == 404


def test_a_text_due_in_quiet_hours_waits_for_their_end(db, smtp, gateway, make_appointment, make_patient):
    """The dispatcher back at 23:30 (Paris) with both texts unsent: put back to 08:00, sent then (the
    appointment is at 10:00); their e-mail twins go at once, as e-mails do."""
    appointment = _booked(make_appointment, make_patient)
    night = dt.datetime(2026, 6, 9, 21, 30, tzinfo=dt.UTC)  # 23:30 in Paris, the eve of the appointment
    with time_machine.travel(night, tick=False):
        counts = dispatch_until_empty(worker_id="t")
    morning = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)  # 08:00 in Paris
    texts = _rows(db, appointment, "sms")
    assert counts.deferred == 2 and {(t.status, t.next_attempt_at) for t in texts} == {(ReminderStatus.PLANNED,
                                                                                         morning)}
    assert gateway.received == []
    assert {r.status for r in _rows(db, appointment, "email") if r.kind in ("day_before", "medication_stop")} == {
        ReminderStatus.SENT}
    with time_machine.travel(morning + dt.timedelta(minutes=1), tick=False):
        dispatch_until_empty(worker_id="t")
    assert {t.status for t in _rows(db, appointment, "sms")} == {ReminderStatus.SENT}
    assert len(gateway.accepted()) == 2


def test_a_refusal_fails_at_once_and_a_stopped_patient_gets_none(db, smtp, gateway, make_appointment, make_patient):
    appointment = _booked(make_appointment, make_patient)
    stop, day_before = sorted(_rows(db, appointment, "sms"), key=lambda r: r.kind != "medication_stop")
    gateway.script = [400]
    with time_machine.travel(stop.send_at + dt.timedelta(minutes=1), tick=False):
        dispatch_until_empty(worker_id="t")
    db.session.refresh(stop)
    assert (stop.status, stop.attempts) == (ReminderStatus.FAILED, 1) and "400" in stop.last_error
    appointment.patient.sms_opt_in = False  # the desk unticked it after the booking
    db.session.commit()
    with time_machine.travel(day_before.send_at + dt.timedelta(minutes=1), tick=False):
        dispatch_until_empty(worker_id="t")
    db.session.refresh(day_before)
    assert (day_before.status, day_before.last_error) == (ReminderStatus.CANCELLED, "patient stopped text messages")
    assert len(gateway.received) == 1


def test_stop_opts_out_and_cancels_the_pending_texts(db, client, gateway, minnesota, make_appointment,
                                                    make_patient):
    appointment = _booked(make_appointment, make_patient, site=minnesota, phone="+16125550142", language="en")
    patient = appointment.patient
    url, auth = "/sms/inbound", {"Authorization": f"Bearer {TOKEN}"}
    assert client.post(url, json={"from": "+16125550142", "body": "STOP"}).status_code == 401
    assert client.post(url, json={"from": "+16125550142", "body": "STOP"},
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post(url, json={"from": "nobody", "body": "STOP"}, headers=auth).status_code == 422
    answer = client.post(url, json={"from": "+16125550142", "body": "hello"}, headers=auth)
    assert answer.get_json() == {"stopped": 0}
    db.session.refresh(patient)
    assert patient.sms_opt_in is True
    answer = client.post(url, json={"from": "+16125550142", "body": " Stop "}, headers=auth)
    assert answer.status_code == 200 and answer.get_json() == {"stopped": 1}
    db.session.refresh(patient)
    assert patient.sms_opt_in is False
    assert {r.status for r in _rows(db, appointment, "sms")} == {ReminderStatus.CANCELLED}
    assert ReminderStatus.PLANNED in {r.status for r in _rows(db, appointment, "email")}  # e-mail goes on
    audit = db.session.execute(sa.select(AuditEvent).where(AuditEvent.patient_id == patient.id,
                                                           AuditEvent.action == "patient.sms_opt_out")).scalars().all()
    assert len(audit) == 1
    body = next(r for r in _rows(db, appointment, "sms") if r.kind == "day_before")
    from clinic.sms.compose import compose

    assert "Reply STOP" in compose(body).body  # US patients are told how


def test_inbound_is_closed_without_a_gateway(client):
    assert client.post("/sms/inbound", json={"from": "+16125550142", "body": "STOP"},
                       headers={"Authorization": "Bearer anything"}).status_code == 404


def test_without_a_gateway_texts_are_files_listed_on_the_outbox_page(app, db, smtp, client, tmp_path, login, make_user,
                                                                     make_appointment, make_patient):
    saved, app.config["SMS_DIR"] = app.config["SMS_DIR"], str(tmp_path / "sms")
    try:
        appointment = _booked(make_appointment, make_patient)
        row = next(r for r in _rows(db, appointment, "sms") if r.kind == "day_before")
        with time_machine.travel(row.send_at + dt.timedelta(minutes=1), tick=False):
            dispatch_until_empty(worker_id="t")
        db.session.refresh(row)
        assert row.status == ReminderStatus.SENT and row.message_id == f"outbox:r{row.id}.json"
        written = json.loads((tmp_path / "sms" / f"r{row.id}.json").read_text(encoding="utf-8"))
        assert written["to"] == "+33612345678"
        login(make_user("admin"))
        page = client.get("/admin/outbox/").get_data(as_text=True)
        assert f"r{row.id}.json" in page and "+33612345678" in page
    finally:
        app.config["SMS_DIR"] = saved


def test_an_http_provider_without_url_or_token_refuses_to_start():
    with pytest.raises(RuntimeError, match="SMS_HTTP_URL and SMS_HTTP_TOKEN"):
        create_app({"__config__": "testing", "SMS_PROVIDER": "http"})
    with pytest.raises(RuntimeError, match="SMS_HTTP_TOKEN"):
        create_app({"__config__": "testing", "SMS_PROVIDER": "http", "SMS_HTTP_URL": "https://sms.example"})
    with pytest.raises(RuntimeError, match="SMS_PROVIDER must be one of"):
        create_app({"__config__": "testing", "SMS_PROVIDER": "pigeon"})


def test_length_and_segments():
    assert gsm.segments("a" * 160) == 1 and gsm.segments("a" * 161) == 2 and gsm.segments("a" * 307) == 3
    assert gsm.units("€") == 2 and gsm.segments("€" * 80) == 1 and gsm.segments("€" * 81) == 2
    assert gsm.fold("août, à 09:00, Tél. — ça") == "aout, à 09:00, Tél. - ca"
    assert gsm.is_gsm(gsm.fold("mercredi 12 août à 09:00"))
    assert not gsm.is_gsm("雨") and gsm.segments("雨" * 70) == 1 and gsm.segments("雨" * 71) == 2


# ---------------------------------------------------------------- two dispatcher processes


def test_two_dispatcher_processes_send_each_text_once(app, database_url, committed_rows, tmp_path):
    ids = committed_rows(60, channel="sms")
    server = Gateway(script=[503]).start()  # the first hand-over fails: retried, later, by either
    env = {"SMS_PROVIDER": "http", "SMS_HTTP_URL": server.url, "SMS_HTTP_TOKEN": TOKEN}
    try:
        procs = [dispatcher(database_url, 9, f"w{i}", tmp_path, batch=10, extra_env=env) for i in (1, 2)]
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        server.stop()
    assert all(p.returncode == 0 for p in procs), outputs
    references = [m["reference"] for m in server.accepted()]
    assert len(references) == len(set(references)) == len(ids) - 1  # each once; the 503'd one waits its backoff
    with app.app_context():
        found = dict(_db.session.execute(sa.select(Reminder.status, sa.func.count()).where(Reminder.id.in_(ids))
                                         .group_by(Reminder.status)).all())
        _db.session.commit()
    assert found == {ReminderStatus.SENT: len(ids) - 1, ReminderStatus.RETRYING: 1}
