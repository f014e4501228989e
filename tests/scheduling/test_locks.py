"""The advisory lock keys of a schedule write: writers that could collide share one, in one order."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.errors import Conflict
from clinic.scheduling.locks import lock_schedule, schedule_keys

UTC = dt.UTC


def block(h: int, m: int, minutes: int = 40) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(2026, 3, 2, h, m, tzinfo=UTC)
    return start, start + dt.timedelta(minutes=minutes)


def test_overlapping_blocks_share_a_key_and_keys_come_sorted():
    """9:50-10:30 and 10:10-10:50 overlap: they share the 10:00 hour's key; keys are in ascending order."""
    a, b = schedule_keys(1, *block(9, 50), None), schedule_keys(1, *block(10, 10), None)
    assert set(a) & set(b)
    assert a == sorted(a) and len(a) == 2 and len(b) == 1


def test_blocks_apart_or_at_another_site_share_nothing_but_the_patient():
    """Blocks in different hours, or at another site, share no key; one patient's writes always do."""
    assert not set(schedule_keys(1, *block(9, 0), None)) & set(schedule_keys(1, *block(11, 0), None))
    assert not set(schedule_keys(1, *block(9, 0), None)) & set(schedule_keys(2, *block(9, 0), None))
    assert set(schedule_keys(1, *block(9, 0), 7)) & set(schedule_keys(2, *block(15, 0), 7))
    assert schedule_keys(1, *block(9, 0, minutes=60), None) == schedule_keys(1, *block(9, 0, minutes=30), None)


@pytest.mark.postgres
def test_one_statement_takes_every_key_and_leaves_the_wait_as_it_was(db):
    """Every key of the block is held after the one locking statement, and the lock wait is set back."""
    session = db.session
    before = session.execute(sa.text("SHOW lock_timeout")).scalar()
    keys = schedule_keys(1, *block(9, 50), 7)
    lock_schedule(1, *block(9, 50), 7)
    held = session.execute(sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted")).scalar()
    assert len(keys) == 3 and held == len(keys)
    assert session.execute(sa.text("SHOW lock_timeout")).scalar() == before


@pytest.mark.postgres
def test_a_writer_that_waits_too_long_answers_conflict_retry(db, monkeypatch):
    """A rival holding one of the keys past the wait: 409 conflict_retry, not an error."""
    from clinic.scheduling import locks

    monkeypatch.setattr(locks, "LOCK_WAIT", "200ms")
    start, end = block(9, 50)
    with db.engine.connect() as rival:
        rival.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": schedule_keys(1, start, end, None)[-1]})
        with pytest.raises(Conflict) as refused:
            lock_schedule(1, start, end, None)
        rival.rollback()
    assert refused.value.code == "conflict_retry"


@pytest.mark.postgres
def test_the_locks_bring_the_reference_stamp_for_their_transaction_only(db, make_site):
    """The locking statement returns the site's reference stamp: the slot check of the same
    transaction does not read it again; once that transaction is over, it is read afresh."""
    from clinic.scheduling import stamps

    site = make_site()
    stamps.bump(db.session, [site.id])
    db.session.commit()
    session = db.session
    known = stamps.current_reference(session, site.id)
    session.commit()
    read: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        read.append(statement)

    engine = db.engine
    lock_schedule(site.id, *block(9, 50), None)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert stamps.current_reference(session, site.id) == known
        assert read == []                       # noted with the locks: no statement of its own
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    session.commit()
    stamps.bump(session, [site.id])             # the site's reference data changes, in a new transaction
    session.commit()
    assert stamps.current_reference(session, site.id) == known + 1
