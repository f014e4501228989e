"""The audit log cannot be edited, on either database, whatever the statement's origin.

SQLite: BEFORE UPDATE and BEFORE DELETE triggers that RAISE(ABORT) (SQLite had no guard; the
ORM listeners do not see bulk statements). PostgreSQL: 0007's row trigger refuses UPDATE and
DELETE; a statement-level BEFORE TRUNCATE trigger now refuses TRUNCATE too. The application
should also run as a role that owns nothing and holds no UPDATE, DELETE or TRUNCATE on the
table (README, "The database role of the application"), so it cannot drop or disable these.

A later migration that rebuilds audit_events on SQLite (batch mode copies and drops the table,
and its triggers with it) must create these triggers again.

Revision ID: 0016
Revises: 0012
"""
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "audit_events_no_update": """
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END""",
    "audit_events_no_delete": """
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END""",
}

PG_TRUNCATE = """
CREATE TRIGGER audit_events_no_truncate
BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
"""


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)
    elif dialect == "postgresql":
        op.execute(PG_TRUNCATE)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
