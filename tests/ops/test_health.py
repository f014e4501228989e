"""/healthz and /readyz: open to anyone, no patient data; 503 when the database is down, the
schema is behind its migrations, or no dispatcher has finished a pass within twice its interval."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_migrate import upgrade

from clinic import create_app
from clinic.db import utcnow
from clinic.reminders import heartbeat
from clinic.reminders.dispatcher import Counts


def _beat(worker="disp-1", interval=30, ago=0, **counts):
    now = utcnow()
    heartbeat.beat(worker, interval, now - dt.timedelta(hours=1), Counts(**counts), now=now - dt.timedelta(seconds=ago))


def test_healthz_answers_without_a_sign_in_or_the_database(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}


def test_readyz_is_ready_with_the_database_at_head_and_a_live_dispatcher(client, db):
    _beat(ago=5)
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "dispatcher": "ok"}}


def test_readyz_without_any_dispatcher_pass_is_unavailable(client, db):
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["dispatcher"] == "none"


def test_readyz_when_the_last_pass_is_older_than_twice_the_interval_is_unavailable(client, db):
    _beat(interval=30, ago=61)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable",
                                 "checks": {"database": "ok", "migrations": "ok", "dispatcher": "stale"}}


def test_one_live_dispatcher_among_stale_ones_is_enough(client, db):
    _beat("old", interval=30, ago=600)
    _beat("new", interval=30, ago=59)
    assert client.get("/readyz").status_code == 200


def test_a_beat_adds_the_pass_to_the_dispatchers_counts_and_drops_long_silent_ones(client, db):
    _beat("gone", ago=2 * 86_400)
    _beat("d", sent=3, retrying=1)
    _beat("d", sent=2, failed=1, claimed=4)
    rows = {r.worker_id: r for r in heartbeat.all_rows()}
    assert set(rows) == {"d"}
    assert (rows["d"].passes, rows["d"].sent, rows["d"].retried, rows["d"].failed, rows["d"].claimed) == (2, 5, 1, 1, 4)


def test_readyz_when_the_database_is_down_is_unavailable(tmp_path):
    app = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.sqlite"})
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable",
                                 "checks": {"database": "unreachable", "migrations": "unknown", "dispatcher": "unknown"}}
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.parametrize("migrated", [False, True])
def test_readyz_when_the_schema_is_behind_the_migrations_is_unavailable(tmp_path, migrated):
    app = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    if migrated:
        with app.app_context():
            upgrade(revision="0008")
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"] == {"database": "ok", "migrations": "behind", "dispatcher": "unknown"}


def test_the_ready_command_exits_1_unless_ready(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["clinic", "ready"])
    assert result.exit_code == 1
    assert '"dispatcher": "none"' in result.output
    _beat(ago=1)
    result = runner.invoke(args=["clinic", "ready"])
    assert result.exit_code == 0, result.output
