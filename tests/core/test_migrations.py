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


def test_0014_backfills_organisations_and_downgrades(tmp_path):
    """Sites of two countries become two organisations; patients, appointments and what hangs from
    them take the organisation of their site; a patient no site explains goes to "unassigned"."""
    import datetime as dt

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from clinic import create_app

    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "__config__": "testing"})
    with app.app_context():
        upgrade(revision="0012")
        engine = sa.create_engine(url)
        meta = sa.MetaData()
        meta.reflect(engine)

        def row(table, **given):
            values = dict(given)
            for col in meta.tables[table].columns:
                if col.name in values or col.nullable or col.primary_key:
                    continue
                kind = col.type.python_type if not isinstance(col.type, sa.JSON) else list
                values[col.name] = {str: "x", int: 1, bool: False, dt.datetime: dt.datetime(2026, 1, 5, 9),
                                    dt.date: dt.date(1960, 1, 1), dt.time: dt.time(9), list: []}[kind]
            with engine.begin() as conn:
                return conn.execute(meta.tables[table].insert().values(values)).inserted_primary_key[0]

        site = {"language": "fr", "slot_interval_minutes": 15, "timezone": "Europe/Paris"}
        fr, us = row("sites", code="fr-1", country="FR", **site), row("sites", code="us-1", country="US", **site)
        room = row("rooms", site_id=fr, name="R")
        doc = row("users", email="d@x", role="physician")
        seen, lonely = row("patients", language="fr", sex="unknown"), row("patients", language="en", sex="unknown")
        appt = row("appointments", patient_id=seen, site_id=fr, room_id=room, physician_id=doc, status="booked",
                   start_at=dt.datetime(2026, 1, 5, 9), end_at=dt.datetime(2026, 1, 5, 9, 30),
                   block_end_at=dt.datetime(2026, 1, 5, 9, 40))
        row("reminders", appointment_id=appt, patient_id=seen, site_id=fr, status="planned", channel="email")
        row("audit_events", patient_id=seen, action="patient.read", object_type="patient")
        upgrade(revision="0014")
        with engine.connect() as conn:
            orgs = dict(conn.execute(sa.text("SELECT code, id FROM organisations")).all())
            assert set(orgs) == {"fr", "us", "unassigned"}
            org_of = lambda t, i: conn.execute(sa.text(f"SELECT organisation_id FROM {t} WHERE id = {i}")).scalar()  # noqa: E731, S608 (the test's own table names and ids)
            assert (org_of("sites", fr), org_of("sites", us)) == (orgs["fr"], orgs["us"])
            assert org_of("patients", seen) == org_of("appointments", appt) == orgs["fr"]
            assert org_of("reminders", 1) == org_of("audit_events", 1) == orgs["fr"]
            assert org_of("patients", lonely) == orgs["unassigned"]
        downgrade(revision="0012")
        with engine.connect() as conn:
            assert "organisations" not in sa.inspect(conn).get_table_names()
            assert "organisation_id" not in {c["name"] for c in sa.inspect(conn).get_columns("patients")}
        engine.dispose()


def test_0018_folds_the_stored_names_and_goes_back(tmp_path):
    """Patients registered before 0018 get their folded names, so "helene" finds Hélène at once; the
    downgrade removes the column."""
    import datetime as dt

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from clinic import create_app

    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0017")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            org = conn.execute(sa.text("INSERT INTO organisations (code, name, country) VALUES ('fr', 'F', 'FR')")).lastrowid
            patients = sa.Table("patients", sa.MetaData(), autoload_with=conn)
            base = dict(organisation_id=org, birth_date=dt.date(1960, 1, 1), email="a@b.example", phone="",
                        language="fr", sex="unknown", conditions=[], allergies=[], non_essential_opt_out=False,
                        sms_opt_in=False, created_at=dt.datetime(2026, 1, 1))
            conn.execute(patients.insert(), [{**base, "first_name": "Hélène", "last_name": "Dupont-Lefèvre"},
                                             {**base, "first_name": "Seán", "last_name": "O'Brien"}])
        upgrade(revision="0018")
        with engine.connect() as conn:
            names = conn.execute(sa.text("SELECT search_name FROM patients ORDER BY id")).scalars().all()
        assert names == ["helene dupont lefevre", "sean o brien"]
        downgrade(revision="0017")
        with engine.connect() as conn:
            assert "search_name" not in {c["name"] for c in sa.inspect(conn).get_columns("patients")}
        engine.dispose()


def test_0019_adds_the_waiting_list_and_goes_back(tmp_path):
    """0019 adds the waiting list's tables over a database that holds patients, and the downgrade
    removes them again, leaving the patients as they were."""
    import datetime as dt

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from clinic import create_app

    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": url})
    tables = {"waiting_entries", "waiting_offers", "freed_slots"}
    with app.app_context():
        upgrade(revision="0018")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            org = conn.execute(sa.text("INSERT INTO organisations (code, name, country) VALUES ('fr', 'F', 'FR')")).lastrowid
            patients = sa.Table("patients", sa.MetaData(), autoload_with=conn)
            conn.execute(patients.insert(), [dict(
                organisation_id=org, birth_date=dt.date(1960, 1, 1), email="a@b.example", phone="", language="fr",
                sex="unknown", conditions=[], allergies=[], non_essential_opt_out=False, sms_opt_in=False,
                created_at=dt.datetime(2026, 1, 1), first_name="Hélène", last_name="Dupont", search_name="helene dupont")])
            assert not tables & set(sa.inspect(conn).get_table_names())
        upgrade(revision="0019")
        with engine.connect() as conn:
            assert tables <= set(sa.inspect(conn).get_table_names())
            columns = {c["name"] for c in sa.inspect(conn).get_columns("waiting_entries")}
            assert {"patient_id", "organisation_id", "site_id", "procedure_code", "status", "created_at"} <= columns
        downgrade(revision="0018")
        with engine.connect() as conn:
            assert not tables & set(sa.inspect(conn).get_table_names())
            assert conn.execute(sa.text("SELECT search_name FROM patients")).scalars().all() == ["helene dupont"]
        engine.dispose()
