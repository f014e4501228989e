"""Dispatcher heartbeats: each dispatcher's last pass and its counts, for readiness and metrics.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dispatcher_heartbeats',
        sa.Column('worker_id', sa.String(length=100), nullable=False),
        sa.Column('interval_seconds', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_pass_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('passes', sa.BigInteger(), nullable=False),
        sa.Column('claimed', sa.BigInteger(), nullable=False),
        sa.Column('sent', sa.BigInteger(), nullable=False),
        sa.Column('retried', sa.BigInteger(), nullable=False),
        sa.Column('failed', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_dispatcher_heartbeats')),
    )
    op.create_index(op.f('ix_dispatcher_heartbeats_last_pass_at'), 'dispatcher_heartbeats', ['last_pass_at'])


def downgrade():
    op.drop_index(op.f('ix_dispatcher_heartbeats_last_pass_at'), table_name='dispatcher_heartbeats')
    op.drop_table('dispatcher_heartbeats')
