"""A site's reference data for its free slots: its physicians, their working hours and time off, its
rooms and its closures, kept in memory under the site's reference stamp (clinic.scheduling.stamps),
which any change of them moves. The availability engine reads it from here. No Flask here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa

from clinic.accounts.models import Role, User, user_sites
from clinic.extensions import db
from clinic.scheduling import stamps
from clinic.scheduling.models import TimeOff, WorkingHours
from clinic.sites.models import CalendarExceptionKind, Room, Site, SiteCalendarException


class Hours(NamedTuple):
    """A physician's working interval on a weekday (local times), as WorkingHours holds it."""
    weekday: int
    start_time: dt.time
    end_time: dt.time
    valid_from: dt.date
    valid_until: dt.date | None


class Closure(NamedTuple):
    """A calendar exception of a day, as SiteCalendarException holds it."""
    kind: CalendarExceptionKind
    hours: tuple[dt.time, dt.time] | None
    reason: str


class RoomInfo(NamedTuple):
    id: int
    name: str
    modalities: tuple[str, ...]


SEEN_KEY = "site_reference_seen"


@dataclass(frozen=True)
class SiteReference:
    """What a site's free slots depend on besides its appointments, kept in memory under the site's
    reference stamp (clinic.scheduling.stamps.stamped), which any change of it moves."""
    physicians: tuple[int, ...]                      # active physicians working there, in id order
    hours: dict[int, tuple[Hours, ...]]
    time_off: dict[int, tuple[tuple[float, float], ...]]   # POSIX seconds, this site's and everywhere
    rooms: tuple[RoomInfo, ...]                      # active rooms, in id order
    closures: dict[dt.date, tuple[Closure, ...]]
    # What the engine derives from the above alone (a physician's possible starts on a day), kept
    # as long as this data is: clinic.scheduling.availability.
    derived: dict = field(default_factory=dict, compare=False, repr=False)

    def room_name(self, room_id: int) -> str | None:
        return next((room.name for room in self.rooms if room.id == room_id), None)


def _read_reference(site: Site) -> SiteReference:
    physicians = tuple(sorted(db.session.execute(
        sa.select(User.id).join(user_sites, user_sites.c.user_id == User.id)
        .where(user_sites.c.site_id == site.id, User.role == Role.PHYSICIAN, User.active.is_(True))).scalars()))
    hours: dict[int, list[Hours]] = defaultdict(list)
    for h in db.session.execute(sa.select(WorkingHours).where(
            WorkingHours.site_id == site.id, WorkingHours.physician_id.in_(physicians))).scalars():
        hours[h.physician_id].append(Hours(h.weekday, h.start_time, h.end_time, h.valid_from, h.valid_until))
    away: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for off in db.session.execute(sa.select(TimeOff).where(
            TimeOff.physician_id.in_(physicians),
            sa.or_(TimeOff.site_id.is_(None), TimeOff.site_id == site.id))).scalars():
        away[off.physician_id].append((off.start_at.timestamp(), off.end_at.timestamp()))
    rooms = tuple(RoomInfo(r.id, r.name, tuple(r.modalities or ())) for r in db.session.execute(
        sa.select(Room).where(Room.site_id == site.id, Room.active.is_(True)).order_by(Room.id)).scalars())
    closures: dict[dt.date, list[Closure]] = defaultdict(list)
    for exc in db.session.execute(sa.select(SiteCalendarException).where(
            SiteCalendarException.site_id == site.id)).scalars():
        closures[exc.day].append(Closure(exc.kind, exc.hours, exc.reason or ""))
    return SiteReference(physicians, {p: tuple(v) for p, v in hours.items()}, {p: tuple(v) for p, v in away.items()},
                         rooms, {d: tuple(v) for d, v in closures.items()})


def site_reference(site: Site) -> SiteReference:
    """The site's reference data: kept under its stamp (one statement reads the stamp), read afresh
    while this transaction holds a change of its own that the stamp does not show yet."""
    session = db.session
    if not stamps.settled(session):
        ref = _read_reference(site)
    else:
        ref = stamps.stamped("site_reference", site.id, stamps.current_reference(session, site.id),
                             lambda: _read_reference(site))
    session.info.setdefault(SEEN_KEY, {})[site.id] = ref
    return ref


def seen_reference(site: Site) -> SiteReference:
    """The reference data this session's last search at the site used (an answer about the slot it
    chose names the room from it), else the site's reference data now."""
    seen = db.session.info.get(SEEN_KEY, {}).get(site.id)
    return seen if seen is not None else site_reference(site)
