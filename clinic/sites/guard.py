"""What a change to a site's calendar or rooms asks of the schedule: the booked appointments it would
strand, and what to do with them. Scheduling answers: its init_app installs the guard here, so that
sites need not know appointments. A change made with no guard installed is refused, never made blind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask.sansio.app import App

KEY = "clinic.sites.appointment_guard"


class GuardMissing(RuntimeError):
    """No appointment guard is installed: a site change could strand booked appointments unseen."""


@dataclass(frozen=True)
class AppointmentGuard:
    # The active appointments of a site, physician or room that overlap [start, end) and have not ended.
    active: Callable[..., list[Any]]
    # Refuse (409 appointments_affected) unless confirmed; when confirmed, flag each for rescheduling.
    settle: Callable[[Iterable[Any], bool, str, int | None], list[Any]]


def install(app: App, guard: AppointmentGuard) -> None:
    app.extensions[KEY] = guard


def _guard() -> AppointmentGuard:
    found = current_app.extensions.get(KEY)
    if found is None:
        raise GuardMissing(GuardMissing.__doc__)
    return found


def active_appointments(*, site_id: int | None = None, room_id: int | None = None, start: dt.datetime | None = None,
                        end: dt.datetime | None = None, now: dt.datetime | None = None) -> list[Any]:
    return _guard().active(site_id=site_id, room_id=room_id, start=start, end=end, now=now)


def settle(affected: Iterable[Any], confirm: bool, because: str, user_id: int | None = None) -> list[Any]:
    return _guard().settle(affected, confirm, because, user_id)
