"""`flask clinic backup`: an online copy of the SQLite database that restores and reads back;
refused for other databases and over an existing file."""

from __future__ import annotations

import datetime as dt
import shutil

import sqlalchemy as sa
from flask_migrate import upgrade

from clinic import create_app
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.sites.models import Organisation


def _app(path):
    return create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})


def test_a_backup_restores_and_reads_back(tmp_path):
    live = _app(tmp_path / "live.sqlite")
    with live.app_context():
        upgrade()
        organisation = Organisation(code="backup", name="Backup group", country="FR")
        db.session.add(Patient(organisation=organisation, first_name="Anne", last_name="Restored",
                               birth_date=dt.date(1970, 1, 2), email="anne.restored@example.org", language="fr"))
        db.session.commit()
    target = tmp_path / "backups" / "copy.sqlite"
    result = live.test_cli_runner().invoke(args=["clinic", "backup", "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert f"backup written: {target}" in result.output
    restored = tmp_path / "restored.sqlite"
    shutil.copy(target, restored)
    back = _app(restored)
    with back.app_context():
        (patient,) = db.session.execute(sa.select(Patient)).scalars().all()
        assert (patient.first_name, patient.last_name, patient.email) == ("Anne", "Restored", "anne.restored@example.org")
        assert back.test_client().get("/readyz").get_json()["checks"]["migrations"] == "ok"


def test_the_default_target_is_named_by_the_time_in_the_backup_folder(tmp_path):
    live = _app(tmp_path / "live.sqlite")
    live.config["BACKUP_DIR"] = str(tmp_path / "kept")
    with live.app_context():
        upgrade()
    result = live.test_cli_runner().invoke(args=["clinic", "backup"])
    assert result.exit_code == 0, result.output
    (written,) = (tmp_path / "kept").glob("clinic-*.sqlite")
    assert written.stat().st_size > 0


def test_a_backup_never_overwrites_and_refuses_other_databases(tmp_path):
    live = _app(tmp_path / "live.sqlite")
    with live.app_context():
        upgrade()
    target = tmp_path / "exists.sqlite"
    target.write_bytes(b"keep me")
    result = live.test_cli_runner().invoke(args=["clinic", "backup", "--to", str(target)])
    assert result.exit_code == 1 and "never overwritten" in result.output
    assert target.read_bytes() == b"keep me"
    memory = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    result = memory.test_cli_runner().invoke(args=["clinic", "backup", "--to", str(tmp_path / "m.sqlite")])
    assert result.exit_code == 1 and "in memory" in result.output
    pg = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/none"})
    result = pg.test_cli_runner().invoke(args=["clinic", "backup", "--to", str(tmp_path / "p.sqlite")])
    assert result.exit_code == 1 and "pg_dump" in result.output
