"""The admin outbox page: filters, pagination, retry with confirmation and CSRF, audit."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from clinic.audit.models import AuditEvent
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling import signals


def booked(make_appointment, site=None, day=dt.date(2026, 6, 10)):
    appointment = make_appointment(site=site, day=day)
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    return appointment


def test_outbox_filters_by_status_site_and_local_date(client, db, login_as, make_appointment, paris, minnesota):
    """Status, site and the site's local date narrow the list; the listing is audited."""
    fr = booked(make_appointment)
    us = booked(make_appointment, site=minnesota)
    failed = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == us.id,
                                                          Reminder.kind == "day_before")).scalar_one()
    failed.status, failed.last_error, failed.attempts = ReminderStatus.FAILED, "SMTPServerDisconnected", 6
    db.session.flush()
    login_as("admin")
    page = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "SMTPServerDisconnected" in page and us.patient.last_name in page and fr.patient.last_name not in page
    page = client.get(f"/admin/outbox/?site={paris.id}&day=2026-06-09").get_data(as_text=True)
    assert fr.patient.last_name in page and us.patient.last_name not in page and "Reminder the day before" in page
    assert "Care on the evening after" not in page
    assert client.get("/admin/outbox/?day=not-a-date&status=nonsense&page=x").status_code == 200
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "outbox.list")).first()


def test_outbox_paginates(client, db, login_as, make_appointment):
    """More than a page of rows: a next link and a second page."""
    for _ in range(7):
        booked(make_appointment)
    login_as("admin")
    first = client.get("/admin/outbox/").get_data(as_text=True)
    assert 'rel="next"' in first
    assert client.get("/admin/outbox/?page=2").status_code == 200


def test_retry_needs_confirmation_csrf_and_a_failed_row(client, db, login_as, post_form, make_appointment):
    """GET asks to confirm; POST without CSRF is refused; POST requeues and is audited; twice is a 409."""
    appointment = booked(make_appointment)
    row = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id)).scalars().first()
    row.status, row.attempts = ReminderStatus.FAILED, 6
    db.session.flush()
    login_as("admin")
    path = f"/admin/outbox/{row.id}/retry"
    assert "Send this message again" in client.get(path).get_data(as_text=True)
    assert client.post(path, data={}).status_code in (400, 200) and row.status == ReminderStatus.FAILED
    response = post_form(path, token_from=path)
    assert response.status_code == 302
    db.session.refresh(row)
    assert row.status == ReminderStatus.RETRYING and row.attempts == 0
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "reminder.retry")).first()
    assert post_form(path, token_from=path).status_code == 409


def test_outbox_is_for_admins_only(client, login_as):
    """The front desk may not open the outbox."""
    login_as("front_desk")
    assert client.get("/admin/outbox/").status_code == 403
