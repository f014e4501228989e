"""Run a view again when SQLite refuses a write with 'database is locked'.

On SQLite a request that has read (shared lock) and then writes cannot take the write lock while
another request holds it, and SQLite answers at once instead of waiting. The procedure-day views
are re-runnable (each is one transaction), so they roll back and try again a few times. No effect
on PostgreSQL."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from sqlalchemy.exc import OperationalError

from clinic.extensions import db

ATTEMPTS = 5


def _locked(err: OperationalError) -> bool:
    return "database is locked" in str(err.orig) or "database is busy" in str(err.orig)


def retry_when_locked(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return view(*args, **kwargs)
            except OperationalError as err:
                if not _locked(err) or attempt == ATTEMPTS:
                    raise
                db.session.rollback()
                time.sleep(0.05 * attempt + random.random() * 0.05)
        raise AssertionError("unreachable")

    return wrapped
