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


def test_0013_writes_the_stored_phones_in_e164_and_goes_back(tmp_path):
    """Phones typed before 0013 are parsed with their site's country: a French and a US number in local
    formats come out in E.164, one that is not a number is kept as typed; the downgrade removes the columns."""
    import datetime as dt

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from clinic import create_app

    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0012")
        engine = _db.engine
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        with engine.begin() as conn:
            patients = sa.Table("patients", sa.MetaData(), autoload_with=conn)
            sites = sa.Table("sites", sa.MetaData(), autoload_with=conn)
            conn.execute(sites.insert(), [dict(
                code="paris", name="P", address="", phone="", mail_name="", timezone="Europe/Paris", country="FR",
                language="fr", policy="fr", turnover_minutes=10, horizon_days=120, min_notice_hours=24,
                slot_interval_minutes=15, quiet_start=dt.time(21), quiet_end=dt.time(8), active=True)])
            base = dict(first_name="A", last_name="B", birth_date=dt.date(1960, 1, 1), email="a@b.example",
                        language="fr", sex="unknown", conditions=[], allergies=[], non_essential_opt_out=False,
                        created_at=now)
            conn.execute(patients.insert(), [{**base, "phone": p} for p in ("06 12 34 56 78", "+1 (612) 555-0142",
                                                                           "ask the daughter", "")])
        upgrade(revision="0013")
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT phone, sms_opt_in FROM patients ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("+33612345678", 0), ("+16125550142", 0), ("ask the daughter", 0), ("", 0)]
        downgrade(revision="0012")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("patients")}
            links = {c["name"] for c in sa.inspect(conn).get_columns("manage_links")}
        assert "sms_opt_in" not in columns and "short_token" not in links
        engine.dispose()
