"""The audit log cannot be edited by any statement, on SQLite and PostgreSQL alike (migrations
0007 and 0016): bulk UPDATE and DELETE are refused by the database, and on PostgreSQL TRUNCATE too.
ORM listeners never see such statements, so these tests send them past the ORM's unit of work."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.audit.services import record

REFUSED = (sa.exc.IntegrityError, sa.exc.DBAPIError)


@pytest.fixture
def events(db):
    rows = [record("test.tamper", "test", n) for n in range(3)]
    db.session.commit()
    return [e.id for e in rows]


def _actions(db, ids):
    return sorted(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.id.in_(ids))))


@pytest.mark.parametrize("statement", [
    sa.update(AuditEvent).values(action="test.tampered"),
    sa.update(AuditEvent).values(patient_id=None, details={}),
    sa.delete(AuditEvent),
    sa.text("UPDATE audit_events SET actor = 'someone else'"),
    sa.text("DELETE FROM audit_events"),
], ids=["orm-update", "orm-anonymise", "orm-delete", "sql-update", "sql-delete"])
def test_bulk_statements_are_refused_by_the_database(db, events, statement):
    with pytest.raises(REFUSED, match="append-only"), db.session.begin_nested():
        db.session.execute(statement, execution_options={"synchronize_session": False}
                           if not isinstance(statement, sa.TextClause) else {})
    assert _actions(db, events) == ["test.tamper"] * 3


def test_inserting_still_works(db, events):
    record("test.tamper", "test", 4)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "test.tamper")) == 4


@pytest.mark.postgres
def test_postgres_refuses_truncate(db, events):
    with pytest.raises(sa.exc.DBAPIError, match="append-only: TRUNCATE"), db.session.begin_nested():
        db.session.execute(sa.text("TRUNCATE audit_events"))
    assert _actions(db, events) == ["test.tamper"] * 3


def test_the_triggers_are_in_the_catalog(db):
    if db.engine.dialect.name == "sqlite":
        names = db.session.scalars(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")).all()
        assert sorted(names) == ["audit_events_no_delete", "audit_events_no_update"]
    else:
        rows = db.session.execute(sa.text(
            "SELECT trigger_name, event_manipulation FROM information_schema.triggers "
            "WHERE event_object_table = 'audit_events'")).all()
        assert sorted(rows) == [("audit_events_append_only", "DELETE"), ("audit_events_append_only", "UPDATE")]
        # information_schema leaves TRUNCATE triggers out; pg_trigger has them.
        truncate = db.session.scalar(sa.text(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass "
            "AND tgname = 'audit_events_no_truncate' AND NOT tgisinternal"))
        assert truncate == 1


def test_test_clean_up_still_removes_what_it_is_asked_to(app, db, make_patient):
    """tests/cleanup.py lifts the guard for its own transaction only; the triggers are back after."""
    from tests.cleanup import purge

    patient_id = make_patient().id
    record("test.cleanup", "patient", patient_id, patient_id)
    db.session.commit()
    purge(patient_ids=[patient_id])
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.patient_id == patient_id)) == 0
    record("test.after_cleanup", "test", 1)
    db.session.commit()
    with pytest.raises(REFUSED, match="append-only"), db.session.begin_nested():
        db.session.execute(sa.text("DELETE FROM audit_events"))
