"""Which function writes the message of each outbox row kind.

A composer takes a Reminder row and returns an EmailMessage (To, Subject, bodies, attachments);
the dispatcher adds From and Message-ID and hands it to the transport. Subjects name no procedure,
drug, condition or body part.
"""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage


class _Headers(HeaderRegistry):
    """The standard header registry, building each header name's class once: the stock one builds
    a new class for every header set, most of the cost of composing a message."""

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        cls = self._classes.get(name)
        if cls is None:
            cls = self._classes[name] = super().__getitem__(name)
        return cls


POLICY = policy.default.clone(header_factory=_Headers())


def new_message() -> EmailMessage:
    """An empty message with the standard policy (email.policy.default), faster to fill."""
    return EmailMessage(policy=POLICY)


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
