"""The unit of work: the one place the session's work is committed.

A request owns its transaction (clinic.ClinicApp.dispatch_request): the view (GET included, since
reads are audited) does its work and returns; its response is then committed, once, before it
leaves (a streamed body is on record before its first byte; an error in the commit is answered as
any other error of the view). A view that raises (a refusal, an abort, an
unexpected error) is rolled back, and nothing it wrote is kept. Views and services never commit.

Outside a request (the CLI, the reminder dispatcher, the dispatcher's heartbeat) each piece of work
runs in `with unit_of_work():`, committed when the block ends and rolled back when it raises.

`commit()` commits at once, for the few writes that must be kept whatever the rest of the request
does (a failed sign-in, a refused attempt on patient data, a token's last use) and for the SQLite
write lock taken before a booking (scheduling.writes.begin_write). It is the application's only
commit of the session.

Requests' sessions do not expire their objects on commit (extensions.py): what the view loaded is
what the page renders, and a page read after the commit does not reload it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import scoped_session

from clinic.extensions import db


def commit() -> None:
    """Commit the session's work now."""
    db.session.commit()


@contextmanager
def unit_of_work() -> Iterator[scoped_session[Any]]:
    """The block's work, committed once when it ends, rolled back when it raises."""
    try:
        yield db.session
    except BaseException:
        db.session.rollback()
        raise
    commit()
