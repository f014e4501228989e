"""Which function writes the message of each outbox row kind.

A composer takes a Reminder row and returns an EmailMessage (To, Subject, bodies, attachments);
the dispatcher adds From and Message-ID and hands it to the transport. Subjects name no procedure,
drug, condition or body part.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

COMPOSERS: dict[str, Callable[..., EmailMessage]] = {}


def composer(*kinds: str) -> Callable:
    def register(fn: Callable[..., EmailMessage]) -> Callable[..., EmailMessage]:
        for kind in kinds:
            COMPOSERS[kind] = fn
        return fn

    return register


def compose(reminder) -> EmailMessage:
    fn = COMPOSERS.get(reminder.kind)
    if fn is None:
        raise LookupError(f"no composer for message kind {reminder.kind!r}")
    return fn(reminder)
