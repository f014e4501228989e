"""Sites' neutral mail name (subjects and invites say no health word), the outbox rows' channel,
the patients' manage links (opaque stored tokens, one per appointment, backfilled for the
appointments still to come) and the starts a patient offers when asking for another time.

Revision ID: 0011
Revises: 0010
"""
import datetime as dt
import secrets

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('mail_name', sa.String(length=80), server_default='', nullable=False))
    with op.batch_alter_table('reminders') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=10), server_default='email', nullable=False))
    links = op.create_table(
        'manage_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_manage_links_appointment_id_appointments')),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_manage_links_patient_id_patients')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_manage_links')),
        sa.UniqueConstraint('appointment_id', name=op.f('uq_manage_links_appointment_id')),
        sa.UniqueConstraint('token', name=op.f('uq_manage_links_token')),
    )
    op.create_index(op.f('ix_manage_links_patient_id'), 'manage_links', ['patient_id'], unique=False)
    op.create_table(
        'patient_request_times',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('physician_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_patient_request_times_physician_id_users')),
        sa.ForeignKeyConstraint(['request_id'], ['patient_requests.id'],
                                name=op.f('fk_patient_request_times_request_id_patient_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_request_times')),
    )
    op.create_index(op.f('ix_patient_request_times_request_id'), 'patient_request_times', ['request_id'],
                    unique=False)
    _backfill(links)


def _backfill(links):
    """A link for every appointment still to come, so that its next reminders carry one."""
    conn = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # SQLite stores UTC instants without their offset
    rows = conn.execute(sa.text("SELECT id, patient_id FROM appointments WHERE end_at > :now"), {"now": now}).all()
    if rows:
        op.bulk_insert(links, [{"token": secrets.token_urlsafe(24), "appointment_id": a, "patient_id": p,
                                "created_at": now} for a, p in rows])


def downgrade():
    op.drop_index(op.f('ix_patient_request_times_request_id'), table_name='patient_request_times')
    op.drop_table('patient_request_times')
    op.drop_index(op.f('ix_manage_links_patient_id'), table_name='manage_links')
    op.drop_table('manage_links')
    with op.batch_alter_table('reminders') as batch:
        batch.drop_column('channel')
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('mail_name')
