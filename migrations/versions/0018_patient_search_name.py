"""Patients carry their names folded (lower case, no accents, no punctuation), which the search
matches: "helene" finds Hélène on SQLite and PostgreSQL alike.

Revision ID: 0018
Revises: 0017
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def _fold(text):
    # The fold of clinic.text as it stood when this revision was written.
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.String(length=201), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_patients_search_name'), ['search_name'])
    patients = sa.table('patients', sa.column('id'), sa.column('first_name'), sa.column('last_name'),
                        sa.column('search_name'))
    conn = op.get_bind()
    rows = conn.execute(sa.select(patients.c.id, patients.c.first_name, patients.c.last_name)).all()
    for patient_id, first, last in rows:
        conn.execute(patients.update().where(patients.c.id == patient_id)
                     .values(search_name=_fold(f"{first or ''} {last or ''}")))


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_search_name'))
        batch_op.drop_column('search_name')
