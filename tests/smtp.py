"""A real SMTP server (aiosmtpd) in the test process that records what it receives: SMTPServer
(parsed messages, with failure modes for the dispatcher tests) and Collector (the raw envelopes)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

ROW_HEADER = "X-Clinic-Reminder"


def free_port() -> int:
    """A port nobody listens on: bind to port 0, read it, close (Controller refuses port=0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps every message and the client connection (peer) that brought it; can be
    slowed down to widen race windows, refuse recipients, close the connection after the n-th
    accepted message, or lose the n-th message (connection closed at the end of DATA, no reply)."""

    def __init__(self, delay: float = 0.0):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[list[str], list[str]]] = []  # (recipients, MAIL FROM options) of each
        self.senders: list[str] = []  # the MAIL FROM address of each
        self.raw: list[bytes] = []    # each message as it arrived
        self.peers: list = []       # the connection of each MAIL command
        self.delay = delay
        self.refuse: set[str] = set()
        self.close_after: set[int] = set()
        self.lose: set[int] = set()
        self.data_commands = 0
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.peers.append(session.peer)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.data_commands += 1
            number = self.data_commands
        if number in self.lose:
            server.transport.close()  # the message is never acknowledged
            return "451 lost"
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(msg)
            self.envelopes.append((list(envelope.rcpt_tos), list(envelope.mail_options)))
            self.senders.append(envelope.mail_from)
            self.raw.append(envelope.content)
        if number in self.close_after:
            asyncio.get_running_loop().call_soon(server.transport.close)  # after the 250 reply
        return "250 Message accepted for delivery"

    def connections(self) -> int:
        """How many client connections sent MAIL commands."""
        with self.lock:
            return len(set(self.peers))

    def row_ids(self) -> list[int]:
        with self.lock:
            return [int(m[ROW_HEADER]) for m in self.messages if m[ROW_HEADER]]

    def counts(self) -> Counter:
        return Counter(self.row_ids())


class Collector:
    """aiosmtpd handler: keeps (sender, recipients, raw bytes) of each message."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class SMTPServer:
    """The server; `smtputf8` says whether its EHLO offers SMTPUTF8 (internationalised addresses)."""

    def __init__(self, port: int | None = None, delay: float = 0.0, smtputf8: bool = False):
        self.port = port or free_port()
        self.recorder = Recorder(delay)
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8)

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages


@contextmanager
def relay(app, smtputf8: bool) -> Iterator[SMTPServer]:
    """A running server offering SMTPUTF8 or not, the app's relay while inside (asked afresh)."""
    from clinic.mail import international

    server = SMTPServer(smtputf8=smtputf8).start()
    international.forget()
    try:
        with sending_to(app, server.port):
            yield server
    finally:
        server.stop()
        international.forget()


@contextmanager
def sending_to(app, port: int) -> Iterator[None]:
    """The app sends its mail to 127.0.0.1:port (plain SMTP, no login) while inside; then as before."""
    saved = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_USERNAME")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_USERNAME=None)
    try:
        yield
    finally:
        app.config.update(saved)
