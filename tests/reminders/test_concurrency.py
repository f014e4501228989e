"""Dispatcher processes against a real SMTP server, with real commits: no row sent twice by two
dispatchers, none lost when one is killed mid-batch. The rows are created and removed by the test."""

from __future__ import annotations

import signal
import time

import pytest
import sqlalchemy as sa

from clinic.extensions import db as _db
from clinic.reminders.models import Reminder
from tests.processes import dispatcher
from tests.smtp import SMTPServer


def statuses(app, ids: list[int]) -> dict[str, int]:
    with app.app_context():
        rows = _db.session.execute(sa.select(Reminder.status, sa.func.count()).where(Reminder.id.in_(ids))
                                   .group_by(Reminder.status)).all()
        _db.session.commit()
        return {str(s.value): n for s, n in rows}


def test_two_dispatcher_processes_send_each_of_1000_rows_exactly_once(app, database_url, committed_rows,
                                                                       tmp_path):
    """PostgreSQL, FOR UPDATE SKIP LOCKED: two processes drain 1,000 due rows; each arrives once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED claims between processes are a PostgreSQL test (CLINIC_TEST_DATABASE_URL)")
    ids = committed_rows(1000)
    server = SMTPServer().start()
    try:
        procs = [dispatcher(database_url, server.port, f"w{i}", tmp_path) for i in (1, 2)]
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        server.stop()
    assert all(p.returncode == 0 for p in procs), outputs
    counts = server.recorder.counts()
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1 and sum(counts.values()) == 1000
    assert statuses(app, ids) == {"sent": 1000}
    sent_by = [int(out.split("sent=")[1].split()[0]) for out, _err in outputs]
    assert sum(sent_by) == 1000 and all(n > 0 for n in sent_by), sent_by  # both took part


def test_dispatcher_killed_mid_batch_loses_nothing(app, database_url, committed_rows, tmp_path):
    """SIGKILL during a batch leaves rows claimed; after the claim timeout a new process sends them all."""
    ids = committed_rows(120)
    server = SMTPServer(delay=0.03).start()
    try:
        victim = dispatcher(database_url, server.port, "victim", tmp_path, batch=60)
        deadline = time.monotonic() + 60
        while len(server.recorder.row_ids()) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        before = statuses(app, ids)
        assert before.get("sending", 0) > 0, before  # killed in the middle of a claimed batch
        assert before.get("sent", 0) < len(ids)
        time.sleep(2.2)  # longer than the short claim timeout below
        rescuer = dispatcher(database_url, server.port, "rescuer", tmp_path, claim_timeout=2, batch=60)
        out, err = rescuer.communicate(timeout=120)
    finally:
        server.stop()
    assert rescuer.returncode == 0, err
    assert statuses(app, ids) == {"sent": len(ids)}
    counts = server.recorder.counts()
    assert set(counts) == set(ids)
    assert sum(counts.values()) - len(ids) <= 1  # at most the one message in flight at the kill
