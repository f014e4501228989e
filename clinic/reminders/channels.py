"""The channels the dispatcher sends outbox rows through besides e-mail, each registered by its own
package's init_app (clinic.sms.init_app registers "sms"): how a row of the channel is composed, the
session that hands its messages over, and what its development outbox wrote (the admin outbox page).

A session is a context manager yielding a sender whose send(message) returns the message's id and
raises clinic.mail.transport.TransportError to be retried, or its subclass Refused to fail at once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Channel:
    name: str  # the outbox rows' channel
    compose: Callable[[Any], Any]  # the message of an outbox row
    session: Callable[[], AbstractContextManager[Any]]  # one per dispatcher pass
    outbox_files: Callable[[], list[dict]]  # the newest messages of the development outbox


CHANNELS: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    """Send the rows of `channel.name` through this channel (called by the channel's init_app)."""
    CHANNELS[channel.name] = channel


def channel(name: str) -> Channel:
    found = CHANNELS.get(name)
    if found is None:
        raise LookupError(f"no channel {name!r} is registered")
    return found
