"""Reference stamps: a second number per site, bumped with every change to its free slots except
its appointments (physicians, hours, time off, rooms, closures, settings); each worker keeps the
site's reference data in memory under it.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('schedule_stamps', sa.Column('reference_version', sa.BigInteger(), server_default='0',
                                               nullable=False))


def downgrade():
    op.drop_column('schedule_stamps', 'reference_version')
