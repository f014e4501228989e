"""A patient is never in two places: no two active appointments of one patient overlap.

On PostgreSQL an exclusion constraint beside the physician's and the room's (migration 0001), over
the procedure's own time [start_at, end_at) (the room's turnover is not the patient's). On SQLite
the booking services re-check under the database's write lock; nothing to add to the schema.

Existing overlaps would make the constraint fail to build: the upgrade stops and names them, so
that someone decides which appointment to cancel or move (nothing is changed silently).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CONSTRAINT = "ex_appointments_patient_id_overlap"
ACTIVE = "status IN ('booked', 'checked_in', 'in_procedure')"


def _overlaps(bind) -> list[tuple[int, int]]:
    return [tuple(row) for row in bind.execute(sa.text(
        f"SELECT a.id, b.id FROM appointments a JOIN appointments b ON a.patient_id = b.patient_id "
        f"AND a.id < b.id AND a.start_at < b.end_at AND b.start_at < a.end_at "
        f"WHERE a.{ACTIVE} AND b.{ACTIVE} ORDER BY a.id, b.id LIMIT 50"))]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    pairs = _overlaps(bind)
    if pairs:
        raise RuntimeError(
            "Active appointments of one patient overlap; cancel or move one of each pair, then upgrade again: "
            + ", ".join(f"{a} and {b}" for a, b in pairs))
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        f"ALTER TABLE appointments ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (patient_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        f"WHERE ({ACTIVE})"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE appointments DROP CONSTRAINT IF EXISTS {CONSTRAINT}")
