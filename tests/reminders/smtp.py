"""A real SMTP server (aiosmtpd) in the test process that records what it receives."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
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
    """aiosmtpd handler: keeps every message; can be slowed down to widen race windows."""

    def __init__(self, delay: float = 0.0):
        self.messages: list[EmailMessage] = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"

    def row_ids(self) -> list[int]:
        with self.lock:
            return [int(m[ROW_HEADER]) for m in self.messages if m[ROW_HEADER]]

    def counts(self) -> Counter:
        return Counter(self.row_ids())


class SMTPServer:
    def __init__(self, port: int | None = None, delay: float = 0.0):
        self.port = port or free_port()
        self.recorder = Recorder(delay)
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages
