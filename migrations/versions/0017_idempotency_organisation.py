"""Idempotency keys carry the organisation of the appointment their stored answer describes.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_idempotency_keys_organisation_id'), ['organisation_id'])
        batch_op.create_foreign_key(batch_op.f('fk_idempotency_keys_organisation_id_organisations'),
                                    'organisations', ['organisation_id'], ['id'])
    # Stored answers name their appointment: as "id" (the API's) or "appointment_id" (a form's).
    keys = sa.table('idempotency_keys', sa.column('id'), sa.column('body', sa.JSON),
                    sa.column('organisation_id', sa.Integer))
    appointments = sa.table('appointments', sa.column('id'), sa.column('organisation_id'))
    conn = op.get_bind()
    orgs = dict(conn.execute(sa.select(appointments.c.id, appointments.c.organisation_id)).all())
    for key_id, body in conn.execute(sa.select(keys.c.id, keys.c.body)).all():
        body = body or {}
        appointment_id = body.get("appointment_id", body.get("id")) if isinstance(body, dict) else None
        if appointment_id in orgs:
            conn.execute(keys.update().where(keys.c.id == key_id).values(organisation_id=orgs[appointment_id]))


def downgrade():
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_idempotency_keys_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_organisation_id'))
        batch_op.drop_column('organisation_id')
