"""Schedule stamps, and the availability answers cached under them.

A site's stamp (ScheduleStamp) is bumped in the same transaction as any change to what its free
slots depend on: its appointments and those of its physicians elsewhere, their time off, its
working hours, rooms, closures and settings, and who its physicians are. Session listeners find
these changes in every flush, whichever code made them, and the bump is the last statement
before COMMIT, so concurrent bookings wait on the stamp's row only for the commit itself.

A cached answer is keyed by the stamp it was computed at, so a reader that sees a new stamp also
sees the change behind it (the change commits with it) and computes afresh. The clock enters the
key as the bookable window's edges (the first start the minimum notice allows and the last the
horizon allows, clinic.scheduling.availability.window_edges), so an answer lasts until an edge
crosses a start, and never past it. Writes that bypass the session (bulk COPY of the bench seed)
call `bump` themselves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

from clinic.accounts.models import User, user_sites
from clinic.db import Base
from clinic.db import listen as db_listen
from clinic.scheduling.models import Appointment, ScheduleStamp, TimeOff, WorkingHours
from clinic.sites.models import Room, Site, SiteCalendarException

PENDING_KEY = "schedule_changes"
# Attributes of an appointment or a user whose change moves free slots; others (notes, the
# checklist's state, a reminder flag, a last sign-in) do not.
APPOINTMENT_FIELDS = ("status", "start_at", "block_end_at", "physician_id", "room_id", "site_id")
USER_FIELDS = ("role", "active", "sites")


def _values(obj: Base, name: str) -> set:
    """The attribute's current value and, when it changed in this flush, its former ones."""
    history = sa.inspect(obj).attrs[name].history
    found: set = set()
    for value in chain(history.added, history.unchanged, history.deleted):
        if isinstance(value, Site):
            found.add(value.id)
        elif value is not None:
            found.add(value)
    return found


def _changed(obj: Base, names: Iterable[str]) -> bool:
    attrs = sa.inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _collect(session: Session, _context) -> None:
    # Kept per (nested) transaction, so that a savepoint rolled back takes its changes with it.
    transaction = session.get_nested_transaction() or session.get_transaction()
    sites, physicians = session.info.setdefault(PENDING_KEY, {}).setdefault(transaction, (set(), set()))
    for obj, fresh in chain(((o, True) for o in chain(session.new, session.deleted)),
                            ((o, False) for o in session.dirty)):
        if isinstance(obj, Appointment):
            if fresh or _changed(obj, APPOINTMENT_FIELDS):
                sites |= _values(obj, "site_id")
                physicians |= _values(obj, "physician_id")
        elif isinstance(obj, TimeOff):
            physicians |= _values(obj, "physician_id")
            sites |= _values(obj, "site_id")
        elif isinstance(obj, WorkingHours | Room | SiteCalendarException):
            sites |= _values(obj, "site_id")
        elif isinstance(obj, Site):
            sites.add(obj.id)
        elif isinstance(obj, User) and (fresh or _changed(obj, USER_FIELDS)):
            sites |= _values(obj, "sites")
            physicians.add(obj.id)


def _forget(session: Session, previous) -> None:
    pending = session.info.get(PENDING_KEY)
    if not pending:
        return
    for transaction in list(pending):
        node = transaction
        while node is not None and node is not previous:
            node = node.parent
        if node is previous:
            del pending[transaction]


def _bump_collected(session: Session) -> None:
    if session.in_nested_transaction():
        return          # a savepoint released: its changes wait for the real commit
    session.flush()     # commit's own flush comes after this hook: its changes must be counted now
    pending = session.info.pop(PENDING_KEY, {})
    sites: set[int] = set().union(*(s for s, _ in pending.values()))
    physicians: set[int] = set().union(*(p for _, p in pending.values()))
    if sites or physicians:
        bump(session, sites, physicians)


def listen() -> None:
    """Attach the session listeners that collect the changes of each flush and bump at commit."""
    db_listen(Session, "after_flush", _collect)
    db_listen(Session, "after_soft_rollback", _forget)
    db_listen(Session, "before_commit", _bump_collected)


def bump(session: Session | scoped_session[Any], site_ids: Iterable[int], physician_ids: Iterable[int] = ()) -> None:
    """Increase the stamps of the sites and of the physicians' sites (creating them at 1), in one
    statement that finds the physicians' sites itself; in id order, so two writers never deadlock."""
    ids, physicians = sorted(set(site_ids)), sorted(set(physician_ids))
    if not ids and not physicians:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ScheduleStamp.__table__
    theirs = sa.select(user_sites.c.site_id).where(user_sites.c.user_id.in_(physicians))
    chosen = (sa.select(Site.id, sa.literal(1, sa.BigInteger)).where(sa.or_(Site.id.in_(ids), Site.id.in_(theirs)))
              .order_by(Site.id))
    stmt = insert(table).from_select(["site_id", "version"], chosen)
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.site_id],
                                               set_={"version": table.c.version + 1}))


def current(session: Session | scoped_session[Any], site_id: int) -> int:
    """The site's stamp now (0 before its first change)."""
    value = session.execute(sa.select(ScheduleStamp.version).where(ScheduleStamp.site_id == site_id)).scalar()
    return value or 0


# What an entry costs beside its answer: the key (a tuple of ids, dates and an instant) and the
# ordered dict's node. Counted, so that many small answers (an empty day) stay within the budget too.
ENTRY_OVERHEAD = 512


class AnswerCache:
    """A thread-safe LRU of computed answers (one per gunicorn worker), bounded by their length
    in bytes (or characters) plus ENTRY_OVERHEAD each; a budget of 0 disables it."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._items: OrderedDict[Hashable, bytes | str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], bytes | str]) -> bytes | str:
        if self.budget <= 0:
            return compute()
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return value
            self.misses += 1
        value = compute()   # outside the lock: two threads may compute the same answer once each
        if len(value) + ENTRY_OVERHEAD > self.budget:
            return value
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self.used += len(value) + ENTRY_OVERHEAD
            while self.used > self.budget:
                _, dropped = self._items.popitem(last=False)
                self.used -= len(dropped) + ENTRY_OVERHEAD
        return value
