"""`flask clinic send-due` and `flask clinic scheduler`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.clock import clock_env

ROOT = Path(__file__).resolve().parents[2]


def test_send_due_prints_counts(app, db):
    """One pass over an empty queue exits 0 and prints the counts."""
    result = app.test_cli_runner().invoke(args=["clinic", "send-due", "--worker-id", "cli-test"])
    assert result.exit_code == 0, result.output
    assert "claimed=0" in result.output and "sent=0" in result.output


def test_scheduler_runs_and_stops_cleanly_on_sigterm(database_url, tmp_path):
    """The scheduler process starts its periodic job and exits 0 on SIGTERM."""
    env = {**clock_env(), "CLINIC_ENV": "testing", "DATABASE_URL": database_url, "DISPATCH_INTERVAL_SECONDS": "1",
           "OUTBOX_DIR": str(tmp_path), "SMTP_HOST": ""}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "clinic", "scheduler", "--worker-id",
                             "sched-test"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        seen = ""
        while "every 1s" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        time.sleep(1.5)  # let the job run at least once
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, seen + out
    assert "Reminder dispatcher stopped." in out
    assert "Traceback" not in seen + out
