"""Processes that tests start against the test database: the reminder dispatcher."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.clock import clock_env

ROOT = Path(__file__).resolve().parents[1]


def dispatcher(database_url: str, port: int, worker: str, tmp_path, claim_timeout: int = 300,
               batch: int = 50, extra_env: dict | None = None) -> subprocess.Popen:
    """`flask clinic send-due --all` in its own process, sending to the test's SMTP server (and to
    the SMS gateway that extra_env names)."""
    env = {**clock_env(), **(extra_env or {}), "CLINIC_ENV": "testing", "DATABASE_URL": database_url, "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(port), "DISPATCH_CLAIM_TIMEOUT_SECONDS": str(claim_timeout),
           "OUTBOX_DIR": str(tmp_path / "outbox")}
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "clinic", "send-due", "--all", "--worker-id", worker,
         "--batch-size", str(batch)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
