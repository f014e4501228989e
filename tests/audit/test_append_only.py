"""The audit log is append-only: no route, no service function, no ORM flush and (on PostgreSQL)
no SQL statement can change or delete an audit event."""

from __future__ import annotations

import inspect
import pkgutil
import re
from importlib import import_module

import pytest
import sqlalchemy as sa

import clinic
from clinic.audit import queries, services
from clinic.audit.models import AuditEvent
from clinic.audit.services import record

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


def test_no_write_route_touches_audit_events_except_by_adding(app):
    """No view that accepts a write method names an AuditEvent update or delete in its module."""
    pattern = re.compile(r"(update|delete)\(\s*AuditEvent|AuditEvent\)?\.(update|delete)|session\.delete\([^)]*audit",
                         re.IGNORECASE)
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.methods & WRITE_METHODS:
            continue
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        source = inspect.getsource(inspect.getmodule(view))
        assert not pattern.search(source), f"{rule.rule} ({rule.endpoint})"


def test_no_code_in_the_app_updates_or_deletes_audit_events():
    """Across every module of the package, no statement updates or deletes audit_events."""
    pattern = re.compile(
        r"(sa\.)?(update|delete)\(\s*AuditEvent|AuditEvent\b[^\n]*\.(update|delete)\(|"
        r"(UPDATE|DELETE\s+FROM)\s+audit_events"
    )
    offenders = []
    for info in pkgutil.walk_packages(clinic.__path__, "clinic."):
        module = import_module(info.name)
        try:
            source = inspect.getsource(module)
        except (OSError, TypeError):
            continue
        if pattern.search(source):
            offenders.append(info.name)
    assert offenders == []


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


def test_postgres_trigger_refuses_update_and_delete(db):
    """On PostgreSQL, UPDATE and DELETE statements on audit_events fail in the database itself."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists only on PostgreSQL (migration 0007)")
    event = record("test.trigger", "test", 1)
    db.session.flush()
    event_id = event.id
    for statement in ("UPDATE audit_events SET action = 'tampered' WHERE id = :id",
                      "DELETE FROM audit_events WHERE id = :id"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(sa.text(statement), {"id": event_id})
    action = db.session.execute(sa.text("SELECT action FROM audit_events WHERE id = :id"), {"id": event_id}).scalar()
    assert action == "test.trigger"


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
