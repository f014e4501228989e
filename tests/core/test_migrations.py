"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clinic.extensions import db as _db


def test_migrations_match_models(app, db):
    """Upgrading an empty database (done by the app fixture) leaves no difference to the models."""
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    diff = compare_metadata(context, _db.metadata)
    assert diff == []


def test_postgres_has_exclusion_constraints(app, db):
    """On PostgreSQL the overlap guarantee is in the database itself: physician, room, patient."""
    if db.engine.dialect.name != "postgresql":
        import pytest

        pytest.skip("exclusion constraints exist only on PostgreSQL")
    names = {
        row[0]
        for row in db.session.execute(
            db.text("SELECT conname FROM pg_constraint WHERE contype = 'x' AND conrelid = 'appointments'::regclass")
        )
    }
    assert names == {"ex_appointments_physician_id_overlap", "ex_appointments_room_id_overlap",
                     "ex_appointments_patient_id_overlap"}
