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


def upgrade():
    # SQLite does not enforce a varchar's length, and rebuilding the table there would drop its
    # append-only triggers; on PostgreSQL widening a varchar is a catalogue change, no rewrite.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('audit_events', 'object_id', existing_type=sa.String(40), type_=sa.String(255),
                        existing_nullable=True)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('audit_events', 'object_id', existing_type=sa.String(255), type_=sa.String(40),
                        existing_nullable=True, postgresql_using="left(object_id, 40)")
