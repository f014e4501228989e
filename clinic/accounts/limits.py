"""The sign-in limit per account (the limiter in extensions.py counts per client address).

After LOGIN_ACCOUNT_FAILURES failed sign-ins for one e-mail address within
LOGIN_ACCOUNT_WINDOW_MINUTES, from whatever client addresses, the account is refused for one window
after the last failure; each further run of as many failures within a day doubles the wait (30
minutes, an hour, ... up to a day). A successful
sign-in clears the count. The failures are kept in the database, so every worker shares them.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app, request

from clinic import unit_of_work
from clinic.accounts.models import LoginFailure
from clinic.db import utcnow
from clinic.extensions import db

MAX_WAIT = dt.timedelta(days=1)


def wait_before_next(email: str, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long this account must wait before another try, or None when it may try now."""
    now = now or utcnow()
    limit = current_app.config["LOGIN_ACCOUNT_FAILURES"]
    window = dt.timedelta(minutes=current_app.config["LOGIN_ACCOUNT_WINDOW_MINUTES"])
    day = db.session.execute(
        sa.select(LoginFailure.at).where(LoginFailure.email == email, LoginFailure.at > now - MAX_WAIT)
        .order_by(LoginFailure.at.desc())
    ).scalars().all()
    if len(day) < limit:
        return None
    runs = len(day) // limit  # 1 at the first run of failures, 2 at the second ...
    if runs == 1 and day[0] - day[limit - 1] > window:
        return None  # the first failures were spread over more than one window
    remaining = day[0] + min(window * 2 ** (runs - 1), MAX_WAIT) - now
    return remaining if remaining > dt.timedelta() else None


def record_failure(email: str) -> None:
    db.session.add(LoginFailure(email=email[:254], ip=(request.remote_addr or "")[:45] or None))
    unit_of_work.commit()  # kept whatever the rest of the request does: a failed sign-in always counts


def clear_failures(email: str) -> None:
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.email == email))
