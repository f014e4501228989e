"""Fixtures for the fuzz runs: a seeded database (rolled back afterwards) and an admin's token.

How many examples each generated test tries comes from FUZZ_EXAMPLES (small by default so that
`make test` stays quick; `make fuzz` raises it). The API fuzz counts every request and every
server error and prints the totals at the end of the run.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
TALLY: Counter = Counter()


@pytest.fixture
def seeded(db, monkeypatch):
    """The demo data set (sites, staff, patients, a week of appointments) inside the test's transaction."""
    from argon2 import PasswordHasher

    from clinic import seed
    from clinic.accounts import models

    # The demo staff's passwords are never used here: hash them cheaply.
    monkeypatch.setattr(models, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    from clinic.db import utcnow

    now = utcnow()
    orgs = seed._get_or_create_organisations()
    sites = seed._get_or_create_sites(orgs)
    seed._get_or_create_staff(sites, now.date())
    seed._appointments(sites, seed._patients(4, orgs), now)
    db.session.commit()
    return db


@pytest.fixture
def admin_headers(seeded, make_user, api_token):
    return api_token(make_user("admin"))


def pytest_terminal_summary(terminalreporter):
    if TALLY["requests"]:
        terminalreporter.write_sep("=", "API fuzz summary")
        terminalreporter.write_line(
            f"generated requests: {TALLY['requests']}   server errors (5xx): {TALLY['server_errors']}   "
            ""
        )
