"""The manage link of an appointment, as the messages name it.

The links are rows of the portal, which sits above the messages that carry them: clinic.portal.init_app
registers how an appointment's live link is found, and the composers of the confirmation, the reminders
and the text messages ask here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ManageLinks:
    url: Callable[[Any], str | None]  # the appointment's page on BASE_URL/p/m/<token>
    short_url: Callable[[int], str | None]  # BASE_URL/m/<short token>, by appointment id
    # The live links of many appointments in one read: appointment id -> (page link, short link or None).
    many: Callable[[Collection[int]], dict[int, tuple[str, str | None]]]


# Links read ahead for a batch of messages (see `read_ahead`): the ids asked, and what was found.
_AHEAD: ContextVar[tuple[frozenset[int], dict[int, tuple[str, str | None]]] | None] = ContextVar(
    "manage_links_ahead", default=None)


_REGISTERED: dict[str, ManageLinks] = {}


def register(links: ManageLinks) -> None:
    """Make `links` the finder of the manage links (called by clinic.portal.init_app)."""
    _REGISTERED["links"] = links


def registered() -> ManageLinks | None:
    return _REGISTERED.get("links")


def _links() -> ManageLinks:
    found = _REGISTERED.get("links")
    if found is None:
        raise LookupError("no finder of manage links is registered (clinic.portal.init_app registers it)")
    return found


@contextmanager
def read_ahead(appointment_ids: Collection[int]) -> Iterator[None]:
    """Within: the links of these appointments come from one read made here, in the caller's
    transaction (the dispatcher composes a batch of messages in one read); others are read one by one."""
    asked = frozenset(appointment_ids)
    reset = _AHEAD.set((asked, _links().many(asked) if asked else {}))
    try:
        yield
    finally:
        _AHEAD.reset(reset)


def _ahead(appointment_id: int) -> tuple[bool, tuple[str, str | None] | None]:
    ahead = _AHEAD.get()
    if ahead is None or appointment_id not in ahead[0]:
        return False, None
    return True, ahead[1].get(appointment_id)


def manage_url(appointment) -> str | None:
    """The absolute link of the appointment's manage page, or None when it has no live link."""
    known, found = _ahead(appointment.id)
    if known:
        return found[0] if found else None
    return _links().url(appointment)


def short_url(appointment_id: int) -> str | None:
    """The short link of a text message to the appointment's manage page, or None when it has none."""
    known, found = _ahead(appointment_id)
    if known:
        return found[1] if found else None
    return _links().short_url(appointment_id)
