"""The one clock of a test run.

Every test runs at a fixed instant, TEST_NOW, and the clock ticks from there (time-machine), so a
test's outcome never depends on the hour at which the suite is run. The default instant is a
Wednesday at 15:00 UTC: 16:00 in Paris and 09:00 in Minnesota, within working hours and outside
the quiet hours at every demo site. `CLINIC_TEST_NOW` (an ISO 8601 instant with an offset) moves
it; `make test-clock` runs the suite at the hard hours that way.

Processes that a test starts (a dispatcher, a scheduler, gunicorn) get the same clock through
`clock_env()`: the `sitecustomize` module under tests/clock_site/ starts the same travel in them.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

DEFAULT_NOW = "2026-12-09T15:00:00+00:00"
ENV_NAME = "CLINIC_TEST_NOW"
SUBPROCESS_ENV_NAME = "CLINIC_TEST_CLOCK"
SITE_DIR = Path(__file__).resolve().parent / "clock_site"


def fixed_instant() -> dt.datetime:
    """The instant every test starts at: CLINIC_TEST_NOW, or the default Wednesday afternoon."""
    value = os.environ.get(ENV_NAME) or DEFAULT_NOW
    try:
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise SystemExit(f"{ENV_NAME}={value!r} is not an ISO 8601 instant: {err}") from None
    if instant.tzinfo is None:
        raise SystemExit(f"{ENV_NAME}={value!r} needs an offset, e.g. 2027-03-28T01:30:00+00:00")
    return instant.astimezone(dt.UTC)


def clock_env(env: dict | None = None) -> dict:
    """An environment for a child process that starts at this process's current (travelled) time
    and ticks from there, as this one does."""
    env = dict(os.environ if env is None else env)
    env[SUBPROCESS_ENV_NAME] = dt.datetime.now(dt.UTC).isoformat()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE_DIR), env.get("PYTHONPATH", "")) if p)
    return env
