"""The unit of work: the one place the session's work is committed.

A request owns its transaction (clinic.ClinicApp.dispatch_request): the view (GET included, since
reads are audited) does its work and returns; its response is then committed, once, before it
leaves (a streamed body is on record before its first byte; an error in the commit is answered as
any other error of the view). A view that raises (a refusal, an abort, an
unexpected error) is rolled back, and nothing it wrote is kept. Views and services never commit.

Outside a request (the CLI, the reminder dispatcher, the dispatcher's heartbeat) each piece of work
runs in `with unit_of_work():`, committed when the block ends and rolled back when it raises.

A request's first run may be run again, once, from its start: a write that saved a statement by
trusting its locks (clinic.scheduling.writes) and found a rival's row after all raises `RunAgain`,
its transaction is rolled back with everything it did, and the view runs anew in a fresh one, where
that write is guarded as always (`rerunnable`).

`commit()` commits at once, for the few writes that must be kept whatever the rest of the request
does (a failed sign-in, a refused attempt on patient data, a token's last use) and for the SQLite
write lock taken before a booking (scheduling.writes.begin_write). It is the application's only
commit of the session.

Requests' sessions do not expire their objects on commit (extensions.py): what the view loaded is
what the page renders, and a page read after the commit does not reload it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


RERUN_KEY = "unit_of_work_rerun"


class RunAgain(Exception):
    """The unit of work's transaction is lost (a rival's row met without a savepoint): roll it back
    and run the whole unit once more. Raised only where `may_run_again()` said so."""


def may_run_again() -> bool:
    """Whether the unit of work under way is a first run that `rerunnable` would run again."""
    return bool(db.session.info.get(RERUN_KEY))


def rerunnable[T](work: Callable[[], T]) -> T:
    """`work` in a unit of work; once more, in a fresh one, when its first run raises RunAgain."""
    db.session.info[RERUN_KEY] = True
    try:
        with unit_of_work():
            return work()
    except RunAgain:
        pass
    finally:
        db.session.info.pop(RERUN_KEY, None)
    with unit_of_work():
        return work()
