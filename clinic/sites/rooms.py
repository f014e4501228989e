"""Rooms of a site: imaging modalities, active or not. Never deactivated under future bookings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from clinic.audit.services import record
from clinic.errors import Conflict, DomainError, ValidationFailed
from clinic.extensions import db
from clinic.sites.guard import active_appointments
from clinic.sites.models import MODALITIES, Room, Site


class RoomHasBookings(Conflict):
    def __init__(self, appointments):
        self.appointments = appointments
        super().__init__(
            "room_has_bookings",
            f"The room has {len(appointments)} coming booking(s); move them before deactivating it.",
            {"appointments": [a.id for a in appointments]},
        )


def _check(site: Site, name: str, modalities: Iterable[str], room_id: int | None = None) -> tuple[str, list[str]]:
    name = name.strip()
    given = set(modalities)
    unknown = given - set(MODALITIES)
    modalities = [m for m in MODALITIES if m in given]
    errors = {}
    if not name or len(name) > 80:
        errors["name"] = "A name of 1 to 80 characters is required."
    if unknown or not modalities:
        errors["modalities"] = f"Choose at least one of {', '.join(MODALITIES)}."
    taken = db.session.execute(
        sa.select(Room.id).where(Room.site_id == site.id, Room.name == name, Room.id != (room_id or -1))
    ).first()
    if taken:
        errors["name"] = "Another room of this site has this name."
    if errors:
        raise ValidationFailed(errors)
    return name, modalities


def create_room(site: Site, name: str, modalities: Iterable[str]) -> Room:
    name, mods = _check(site, name, modalities)
    room = Room(site_id=site.id, name=name, modalities=mods, active=True)
    db.session.add(room)
    db.session.flush()
    record("room.create", "room", room.id, details={"site": site.code, "name": name, "modalities": mods})
    return room


def update_room(room: Room, name: str, modalities: Iterable[str]) -> Room:
    name, mods = _check(room.site, name, modalities, room.id)
    before = {"name": room.name, "modalities": list(room.modalities)}
    room.name, room.modalities = name, mods
    db.session.flush()
    record("room.update", "room", room.id, details={"before": before, "after": {"name": name, "modalities": mods}})
    return room


def set_active(room: Room, active: bool, now: dt.datetime | None = None) -> Room:
    """Activate, or deactivate a room that holds no coming active booking."""
    if not active:
        coming = active_appointments(room_id=room.id, now=now)
        if coming:
            raise RoomHasBookings(coming)
    if room.active != active:
        room.active = active
        db.session.flush()
        record("room.activate" if active else "room.deactivate", "room", room.id)
    return room


def get_room(site: Site, room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None or room.site_id != site.id:
        raise DomainError("not_found", "No such room at this site.", status=404)
    return room
