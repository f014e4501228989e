"""Patient sex (for the pregnancy check on ionising imaging) and the premedication steroid dose of
an injection record (added to the yearly steroid total).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sex', sa.String(length=10), nullable=False, server_default='unknown'))
        batch_op.create_check_constraint('sex', "sex IN ('female', 'male', 'other', 'unknown')")
    with op.batch_alter_table('injection_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('premedication_steroid', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('premedication_eq_mg', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('injection_records', schema=None) as batch_op:
        batch_op.drop_column('premedication_eq_mg')
        batch_op.drop_column('premedication_steroid')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint('ck_patients_sex', type_='check')
        batch_op.drop_column('sex')
