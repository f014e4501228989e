"""Sites' neutral mail name (subjects and invites say no health word) and the outbox rows' channel.

Revision ID: 0011
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('mail_name', sa.String(length=80), server_default='', nullable=False))
    with op.batch_alter_table('reminders') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=10), server_default='email', nullable=False))


def downgrade():
    with op.batch_alter_table('reminders') as batch:
        batch.drop_column('channel')
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('mail_name')
