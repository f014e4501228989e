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

Beside it, a reference stamp moves with everything but appointments; under it each site's
reference data stays in memory (`stamped`): the physicians, their hours and time off, the rooms
and the closures, which a booking's slot check would otherwise read at every request, while every
booking moves the schedule stamp.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import cache
from itertools import chain
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
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
    # Appointments move the schedule only; the rest moves the reference data too.
    transaction = session.get_nested_transaction() or session.get_transaction()
    sites, physicians, ref_sites, ref_physicians = session.info.setdefault(PENDING_KEY, {}).setdefault(
        transaction, (set(), set(), set(), set()))
    for obj, fresh in chain(((o, True) for o in chain(session.new, session.deleted)),
                            ((o, False) for o in session.dirty)):
        if isinstance(obj, Appointment):
            if fresh or _changed(obj, APPOINTMENT_FIELDS):
                sites |= _values(obj, "site_id")
                physicians |= _values(obj, "physician_id")
        elif isinstance(obj, TimeOff):
            ref_physicians |= _values(obj, "physician_id")
            ref_sites |= _values(obj, "site_id")
        elif isinstance(obj, WorkingHours | Room | SiteCalendarException):
            ref_sites |= _values(obj, "site_id")
        elif isinstance(obj, Site):
            ref_sites.add(obj.id)
        elif isinstance(obj, User) and (fresh or _changed(obj, USER_FIELDS)):
            ref_sites |= _values(obj, "sites")
            ref_physicians.add(obj.id)
    sites |= ref_sites
    physicians |= ref_physicians


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
    sites, physicians, ref_sites, ref_physicians = (set().union(*(found[k] for found in pending.values()))
                                                    for k in range(4))
    if sites or physicians:
        bump(session, sites, physicians, reference_sites=ref_sites, reference_physicians=ref_physicians)


def listen() -> None:
    """Attach the session listeners that collect the changes of each flush and bump at commit."""
    db_listen(Session, "after_flush", _collect)
    db_listen(Session, "after_soft_rollback", _forget)
    db_listen(Session, "before_commit", _bump_collected)


@cache
def _bump_statement(dialect: str) -> Any:
    """The upsert of `bump`, built once per dialect (building it cost more than running it, at every
    commit that moves a stamp); the lists of ids are its parameters."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ScheduleStamp.__table__

    def of(sites: str, physicians: str) -> sa.ColumnElement[bool]:
        theirs = sa.select(user_sites.c.site_id).where(user_sites.c.user_id.in_(sa.bindparam(physicians, expanding=True)))
        return sa.or_(Site.id.in_(sa.bindparam(sites, expanding=True)), Site.id.in_(theirs))

    reference = sa.case((of("ref_ids", "ref_physicians"), 1), else_=0)
    chosen = (sa.select(Site.id, sa.literal(1, sa.BigInteger), sa.cast(reference, sa.BigInteger))
              .where(of("ids", "physicians")).order_by(Site.id))
    stmt = insert(table).from_select(["site_id", "version", "reference_version"], chosen)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.site_id],
        set_={"version": table.c.version + 1,
              "reference_version": table.c.reference_version + stmt.excluded.reference_version})


def bump(session: Session | scoped_session[Any], site_ids: Iterable[int], physician_ids: Iterable[int] = (), *,
         reference_sites: Iterable[int] | None = None, reference_physicians: Iterable[int] | None = None) -> None:
    """Increase the stamps of the sites and of the physicians' sites (creating them at 1), in one
    statement that finds the physicians' sites itself; in id order, so two writers never deadlock.

    The reference stamp of the sites (and physicians' sites) in `reference_*` goes up too: all of
    them unless told (a caller that does not say what changed may have changed anything)."""
    ids, physicians = sorted(set(site_ids)), sorted(set(physician_ids))
    if not ids and not physicians:
        return
    ref_ids = ids if reference_sites is None else sorted(set(reference_sites))
    ref_physicians = physicians if reference_physicians is None else sorted(set(reference_physicians))
    session.execute(_bump_statement(session.get_bind().dialect.name),
                    {"ids": ids, "physicians": physicians, "ref_ids": ref_ids, "ref_physicians": ref_physicians})


STAMPED_KEY = "schedule_stamped"
ANSWERS_KEY = "availability_answers"   # the app's AnswerCache of availability answers
STAMPED_TYPES = (TimeOff, WorkingHours, Room, SiteCalendarException, Site, User)


def settled(session: Session | scoped_session[Any]) -> bool:
    """Whether this session's transaction holds no change of reference data, flushed or not: only
    then may it use what was kept under a reference stamp (its own changes bump it only at commit)."""
    if any(found[2] or found[3] for found in session.info.get(PENDING_KEY, {}).values()):
        return False
    return not any(isinstance(obj, STAMPED_TYPES) for obj in chain(session.new, session.dirty, session.deleted))


def stamped[T](name: str, site_id: int, stamp: int, load: Callable[[], T]) -> T:
    """What `load` makes of a site's data, kept (in this worker, per app) for as long as the site's
    stamp stays `stamp`: read the stamp first, then call this. Outside an app, `load` every time."""
    if not has_app_context():
        return load()
    store: dict[tuple[str, int], tuple[int, Any]] = current_app.extensions.setdefault(STAMPED_KEY, {})
    known = store.get((name, site_id))
    if known is not None and known[0] == stamp:
        return known[1]
    value = load()
    store[name, site_id] = (stamp, value)
    return value


def forget(app: Any) -> None:
    """Drop what is kept under stamps, the reference data and the availability answers (tests, whose
    rolled-back transactions reuse stamps and ids)."""
    app.extensions.pop(STAMPED_KEY, None)
    answers = app.extensions.get(ANSWERS_KEY)
    if answers is not None:
        answers.clear()


NOTED_KEY = "schedule_stamps_noted"


def _root(session: Session | scoped_session[Any]) -> Any:
    """The session's outermost transaction now (a new one after each commit or rollback)."""
    return (session() if isinstance(session, scoped_session) else session).get_transaction()


def _noted(session: Session | scoped_session[Any]) -> dict[int, dict[str, int]]:
    """The stamps other statements of this transaction read, per site (dropped with the transaction)."""
    transaction = _root(session)
    noted: tuple[Any, dict[int, dict[str, int]]] | None = session.info.get(NOTED_KEY)
    if noted is None or noted[0] is not transaction:
        noted = session.info[NOTED_KEY] = (transaction, {})
    return noted[1]


def note(session: Session | scoped_session[Any], site_id: int, version: int | None = None,
         reference: int | None = None) -> None:
    """The site's stamps as another statement of this transaction read them (the site's own read,
    a booking's locks): `current` and `current_reference` answer from them until it ends."""
    found = _noted(session).setdefault(site_id, {})
    if version is not None:
        found["version"] = version
    if reference is not None:
        found["reference"] = reference


def current(session: Session | scoped_session[Any], site_id: int) -> int:
    """The site's stamp now (0 before its first change), unless noted in this transaction. Its
    reference stamp comes with it and is noted (`current_reference` does not read it again)."""
    found = _noted(session).get(site_id, {})
    if "version" in found:
        return found["version"]
    row = session.execute(sa.select(ScheduleStamp.version, ScheduleStamp.reference_version)
                          .where(ScheduleStamp.site_id == site_id)).first()
    version, reference = row if row is not None else (0, 0)
    note(session, site_id, version or 0, reference or 0)
    return version or 0


def current_reference(session: Session | scoped_session[Any], site_id: int) -> int:
    """The site's reference stamp now: it moves with its physicians, hours, time off, rooms,
    closures and settings, not with its appointments (0 before their first change). One noted in
    this transaction is not read again."""
    found = _noted(session).get(site_id, {})
    if "reference" in found:
        return found["reference"]
    value = session.execute(sa.select(ScheduleStamp.reference_version)
                            .where(ScheduleStamp.site_id == site_id)).scalar()
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

    def clear(self) -> None:
        """Drop every answer (the hit and miss counts go on)."""
        with self._lock:
            self._items.clear()
            self.used = 0

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
