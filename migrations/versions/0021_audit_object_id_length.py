"""The audit log's object id holds any name an event is about: an outbox file name is up to 204
characters (clinic.mail.folder.NAME), longer than the 40 the ids of rows needed.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


# SQLite rebuilds the table to change a column, and its triggers go with the old table: made again
# as 0016 made them.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END""",
)


def _object_id(old: int, new: int, using: str | None = None) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Widening a varchar is a catalogue change on PostgreSQL: the table is not rewritten.
        op.alter_column('audit_events', 'object_id', existing_type=sa.String(old), type_=sa.String(new),
                        existing_nullable=True, postgresql_using=using)
        return
    with op.batch_alter_table('audit_events') as batch:
        batch.alter_column('object_id', existing_type=sa.String(old), type_=sa.String(new), existing_nullable=True)
    for sql in SQLITE_TRIGGERS:
        op.execute(sql)


def upgrade():
    _object_id(40, 255)


def downgrade():
    _object_id(255, 40, using="left(object_id, 40)")
