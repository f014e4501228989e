"""Which function writes the message of each outbox row kind.

A composer takes a Reminder row and returns an EmailMessage (To, Subject, Content-Language, bodies,
attachments); the dispatcher adds the Message-ID and hands it to the transport, which adds From and
Date. Subjects name no procedure, drug, condition or body part.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from email.headerregistry import AddressHeader, BaseHeader, DateHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy

# Headers whose values repeat from message to message: parsed once, then the (immutable) header
# object is shared (a multipart's Content-Type too: clinic.mail.transport gives the messages of a
# process one boundary; the Date repeats within its second).
SHARED_HEADERS = frozenset({"content-type", "content-transfer-encoding", "content-disposition",
                            "content-language", "mime-version", "from", "date"})


class _Headers(HeaderRegistry):
    """The standard header registry, with each header name's class built once (the stock registry
    builds a new class for every header set) and repeated values of SHARED_HEADERS parsed once."""

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}
        self._shared: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type:
        cls = self._classes.get(name)
        if cls is None:
            cls = self._classes[name] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: str) -> BaseHeader:
        if name.lower() not in SHARED_HEADERS:
            return self[name](name, value)
        key = (name, value)
        header = self._shared.get(key)
        if header is None:
            if len(self._shared) >= 256:
                self._shared.clear()
            header = self._shared[key] = self[name](name, value)
        return header


class _Policy(EmailPolicy):
    """email.policy.default with the faster registry, writing a header that fits on one line in
    ASCII as its parse tree reads: the same line the standard folding produces for it, without
    walking the tree token by token (tests/reminders/test_composers.py compares the two). Except for
    addresses and dates, a header's value is its parse tree's text (email.headerregistry)."""

    def _fold(self, name, value, refold_binary=False):
        tree = getattr(value, "_parse_tree", None)
        if tree is not None and hasattr(value, "name"):
            text = str(tree) if isinstance(value, (AddressHeader, DateHeader)) else str.__str__(value)
            line = f"{value.name}: {text}" if tree else f"{value.name}:"
            if line.isascii() and len(line) <= (self.max_line_length or sys.maxsize) and "\n" not in line \
                    and "\r" not in line:
                return line + self.linesep
        return super()._fold(name, value, refold_binary)  # type: ignore[misc]  # EmailPolicy._fold exists; typeshed omits it


POLICY = _Policy(header_factory=_Headers())


def new_message() -> EmailMessage:
    """An empty message with the standard policy's behaviour (email.policy.default), faster."""
    return EmailMessage(policy=POLICY)


COMPOSERS: dict[str, Callable[..., EmailMessage]] = {}


def register_composer(fn: Callable[..., EmailMessage], *kinds: str) -> None:
    """Make `fn` the composer of these message kinds (called by the domains' init_app)."""
    for kind in kinds:
        COMPOSERS[kind] = fn


def compose(reminder) -> EmailMessage:
    """The row's message; its composer must say its language (Content-Language, fr or en) at the top."""
    fn = COMPOSERS.get(reminder.kind)
    if fn is None:
        raise LookupError(f"no composer for message kind {reminder.kind!r}")
    msg = fn(reminder)
    if msg.get("Content-Language") not in ("fr", "en"):
        raise LookupError(f"the composer of {reminder.kind!r} did not say the message's language (Content-Language)")
    return msg
