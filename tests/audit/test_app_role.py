"""The README's grants, run as written: the app's database role reads and adds audit events and
can do nothing else to them, nor to their triggers (PostgreSQL)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

README = Path(__file__).resolve().parents[2] / "README.md"
REFUSED = "permission denied|must be owner"


def _readme_grants(role: str) -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(), re.DOTALL)
    [grants] = [b for b in blocks if "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events" in b]
    return [s.strip().replace("clinic_app", role) for s in grants.split(";") if s.strip()]


@pytest.fixture
def app_role(db):
    """A role made as the README says, for this test's transaction only (rolled back with it)."""
    role = f"clinic_app_test_{uuid.uuid4().hex[:8]}"
    db.session.execute(sa.text(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"))
    for statement in _readme_grants(role):
        db.session.execute(sa.text(statement))
    db.session.execute(sa.text("INSERT INTO audit_events (at, actor, action, object_type, channel, details) "
                               "VALUES (now(), 'test', 'test.role', 'test', 'web', '{}')"))
    db.session.execute(sa.text(f"SET LOCAL ROLE {role}"))
    return role


def _refused(db, statement):
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED), db.session.begin_nested():
        db.session.execute(sa.text(statement))


@pytest.mark.postgres
def test_the_app_role_reads_and_adds_audit_events(db, app_role):
    db.session.execute(sa.text("INSERT INTO audit_events (at, actor, action, object_type, channel, details) "
                               "VALUES (now(), 'app', 'test.role', 'test', 'web', '{}')"))
    assert db.session.scalar(sa.text("SELECT count(*) FROM audit_events WHERE action = 'test.role'")) == 2
    # and works on the rest of the data as the app must
    db.session.execute(sa.text("UPDATE patients SET phone = phone WHERE id = -1"))


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'x'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "DROP TRIGGER audit_events_no_truncate ON audit_events",
    "SET session_replication_role = replica",
    "CREATE TABLE app_made (id int)",
], ids=["update", "delete", "truncate", "disable-trigger", "drop-trigger", "replica", "create"])
def test_the_app_role_cannot_edit_the_log_or_lift_its_guard(db, app_role, statement):
    _refused(db, statement)
