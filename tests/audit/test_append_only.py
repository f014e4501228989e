"""The audit log is append-only: no route, no service function, no ORM flush and (on PostgreSQL)
no SQL statement can change or delete an audit event."""

from __future__ import annotations

import inspect
import re

import pytest
import sqlalchemy as sa

from clinic.audit import queries, services
from clinic.audit.models import AuditEvent
from clinic.audit.services import record
from clinic.reminders.models import Reminder, ReminderStatus

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _audit_rules(app):
    return [r for r in app.url_map.iter_rules()
            if r.rule.startswith("/audit") or r.endpoint.startswith("audit.") or "audit" in r.rule]


def test_audit_routes_are_read_only(app):
    """Every route under /audit (or of the audit blueprint) answers GET only."""
    rules = _audit_rules(app)
    assert {r.rule for r in rules} >= {"/audit/", "/audit/export.csv"}
    for rule in rules:
        assert rule.methods - {"GET", "HEAD", "OPTIONS"} == set(), rule.rule


# Values for the routes' path arguments: the seeded objects' ids, a checklist item, a room action.
def _path_values(appointment, reminder) -> dict:
    site = appointment.site
    return {"appointment_id": appointment.id, "patient_id": appointment.patient_id,
            "physician_id": appointment.physician_id, "user_id": appointment.physician_id, "site_id": site.id,
            "room_id": site.rooms[0].id, "reminder_id": reminder.id, "item_code": "pain_before",
            "action": "deactivate", "lang": "fr", "token": "not-a-token", "exception_id": 1, "time_off_id": 1,
            "token_id": 1, "request_id": 1, "option_id": 1, "entry_id": 1}


def _audit_rows(db) -> dict:
    """Every audit event as stored (read from the table, not from the session's objects)."""
    return {row.id: tuple(row) for row in db.session.execute(sa.select(AuditEvent.__table__))}


def test_every_write_route_leaves_earlier_events_as_they_were(app, client, db, login_as, api_as, post_form,
                                                              make_appointment):
    """Each write route, sent by each role against a patient with audited history, adds events at
    most: every earlier event is still there, unchanged, and no route fails on the way (an update
    or delete that the ORM guard refuses would be a 500)."""
    appointment = make_appointment()
    reminder = Reminder(appointment_id=appointment.id, patient_id=appointment.patient_id, site_id=appointment.site_id,
                        kind="reminder_7d", send_at=appointment.start_at, next_attempt_at=appointment.start_at,
                        status=ReminderStatus.FAILED, payload={})
    db.session.add(reminder)
    record("test.earlier", "appointment", appointment.id, patient_id=appointment.patient_id, details={"kept": True})
    db.session.commit()
    values = _path_values(appointment, reminder)
    routes = [r for r in app.url_map.iter_rules() if r.methods & WRITE_METHODS and r.endpoint != "static"
              and r.rule not in ("/login", "/logout", "/logout-everywhere")]
    # Erasing the patient comes last, so that the other routes still find them.
    routes.sort(key=lambda r: r.rule.endswith("/erase"))
    driven = 0
    for role in ("front_desk", "nurse", "physician", "admin"):
        login_as(role)
        client.get(f"/appointments/{appointment.id}")   # an audited read of the patient's data
        headers = api_as(role)
        before = _audit_rows(db)
        assert before, "no earlier events to keep"
        for rule in routes:
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule.rule)
            for method in sorted(rule.methods & WRITE_METHODS):
                if path.startswith("/api/"):
                    response = client.open(path, method=method, json={}, headers=headers)
                else:
                    response = post_form(path, {}, token_from="/") if method == "POST" else client.open(path, method=method)
                assert response.status_code < 500, f"{role} {method} {path}: {response.status_code}"
                driven += 1
        after = _audit_rows(db)
        assert {i: after.get(i) for i in before} == before, role
        assert len(after) > len(before), f"the {role}'s requests wrote no event at all"
        post_form("/logout", token_from="/")
    assert driven >= 4 * 40


def test_services_expose_no_update_path():
    """The public functions of the audit service and query modules only add and read."""
    for module in (services, queries):
        names = [n for n, f in inspect.getmembers(module, inspect.isfunction) if f.__module__ == module.__name__ and not n.startswith("_")]
        assert not [n for n in names if re.search(r"update|delete|edit|purge|remove|change|set_", n)], names


@pytest.mark.parametrize("method", sorted(WRITE_METHODS))
@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv", "/audit/1", "/audit/1/delete"])
def test_write_methods_are_refused(client, login_as, method, path):
    """An admin sending a write method to any audit URL gets 405 or 404, never a change."""
    login_as("admin")
    response = client.open(path, method=method)
    assert response.status_code in (404, 405)


def test_orm_refuses_to_change_an_event(db):
    """Changing or deleting a flushed event through the ORM raises and leaves it as it was."""
    event = record("test.event", "test", 1)
    db.session.flush()
    event.action = "test.tampered"
    with pytest.raises(queries.AppendOnly):
        db.session.flush()
    db.session.rollback()
    event = record("test.event", "test", 2)
    db.session.flush()
    db.session.delete(event)
    with pytest.raises(queries.AppendOnly):
        db.session.flush()
    db.session.rollback()


def test_postgres_trigger_is_installed(db):
    """The trigger is in the catalog on PostgreSQL, for both UPDATE and DELETE."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists only on PostgreSQL (migration 0007)")
    rows = db.session.execute(sa.text(
        "SELECT event_manipulation FROM information_schema.triggers "
        "WHERE event_object_table = 'audit_events' AND trigger_name = 'audit_events_append_only'"
    )).scalars().all()
    assert sorted(rows) == ["DELETE", "UPDATE"]
    assert db.session.get(AuditEvent, -1) is None


def test_update_and_delete_statements_are_refused_by_the_database_on_either_engine(db):
    """The database itself refuses UPDATE and DELETE on audit_events, on SQLite too (its triggers,
    made by 0016 and again by 0021 after the table was rebuilt)."""
    event = record("test.trigger", "test", 1)
    db.session.flush()
    for statement in ("UPDATE audit_events SET action = 'tampered' WHERE id = :id",
                      "DELETE FROM audit_events WHERE id = :id"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(sa.text(statement), {"id": event.id})
    action = db.session.execute(sa.text("SELECT action FROM audit_events WHERE id = :id"), {"id": event.id}).scalar()
    assert action == "test.trigger"
