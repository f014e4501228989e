"""The waiting list: patients waiting for a time (waiting_entries), the times freed at a site
(freed_slots) and the first-come offers sent to waiting patients (waiting_offers).

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('freed_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=True),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cause', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('start_at < end_at', name=op.f('ck_freed_slots_time_order')),
    sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_freed_slots_physician_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_freed_slots_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_freed_slots'))
    )
    with op.batch_alter_table('freed_slots', schema=None) as batch_op:
        batch_op.create_index('ix_freed_slots_site_range', ['site_id', 'start_at', 'end_at'], unique=False)

    op.create_table('waiting_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('procedure_code', sa.String(length=40), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=True),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.Column('time_of_day', sa.String(length=10), nullable=True),
    sa.Column('status', sa.Enum('waiting', 'offered', 'booked', 'removed', name='waiting_entry_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('to_date IS NULL OR from_date IS NULL OR from_date <= to_date', name=op.f('ck_waiting_entries_date_order')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_waiting_entries_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_waiting_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_waiting_entries_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_waiting_entries_patient_id_patients')),
    sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_waiting_entries_physician_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_waiting_entries_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waiting_entries'))
    )
    with op.batch_alter_table('waiting_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_entries_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waiting_entries_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_waiting_entries_site_status', ['site_id', 'status', 'created_at'], unique=False)

    op.create_table('waiting_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'taken', name='waiting_offer_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_waiting_offers_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_waiting_offers_created_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['waiting_entries.id'], name=op.f('fk_waiting_offers_entry_id_waiting_entries')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_waiting_offers_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_waiting_offers_patient_id_patients')),
    sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_waiting_offers_physician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waiting_offers')),
    sa.UniqueConstraint('token', name=op.f('uq_waiting_offers_token'))
    )
    with op.batch_alter_table('waiting_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_offers_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waiting_offers_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waiting_offers_patient_id'), ['patient_id'], unique=False)


def downgrade():
    with op.batch_alter_table('waiting_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waiting_offers_patient_id'))
        batch_op.drop_index(batch_op.f('ix_waiting_offers_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_waiting_offers_entry_id'))

    op.drop_table('waiting_offers')
    with op.batch_alter_table('waiting_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_waiting_entries_site_status')
        batch_op.drop_index(batch_op.f('ix_waiting_entries_patient_id'))
        batch_op.drop_index(batch_op.f('ix_waiting_entries_organisation_id'))

    op.drop_table('waiting_entries')
    with op.batch_alter_table('freed_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_freed_slots_site_range')

    op.drop_table('freed_slots')
