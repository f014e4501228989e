"""The manage link of an appointment, as the messages name it.

The links are rows of the portal, which sits above the messages that carry them: clinic.portal.init_app
registers how an appointment's live link is found, and the composers of the confirmation, the reminders
and the text messages ask here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ManageLinks:
    url: Callable[[Any], str | None]  # the appointment's page on BASE_URL/p/m/<token>
    short_url: Callable[[int], str | None]  # BASE_URL/m/<short token>, by appointment id


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


def manage_url(appointment) -> str | None:
    """The absolute link of the appointment's manage page, or None when it has no live link."""
    return _links().url(appointment)


def short_url(appointment_id: int) -> str | None:
    """The short link of a text message to the appointment's manage page, or None when it has none."""
    return _links().short_url(appointment_id)
