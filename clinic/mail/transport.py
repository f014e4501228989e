"""Delivering composed messages: to the SMTP relay when SMTP_HOST is set, else as .eml files in the
outbox folder (development). `session()` sends many messages over one SMTP connection; `send()` is
one message on its own. Both return the Message-ID and raise TransportError on a failure worth
retrying.

One session, many messages: the connection is opened at the first message and kept for the next.
- A message the server refuses (sender, recipient or content) fails alone; the session goes on.
- A connection found closed before a message was handed over (the relay dropped an idle or long
  session, or answered 421 to MAIL or RCPT) is opened again once and the message sent on the new one:
  the server had not taken it.
- A connection lost once DATA has begun fails that message: whether the relay kept it cannot be
  known, so it is tried later like any failure (the at-least-once case of a lost final reply).
- When a connection cannot be opened, that message and every later one of the session fail at once
  with the same error, so a relay that is down costs one connection timeout per session, not one
  per message.
- A message to an internationalised address (accented letters before or after the @) is sent with
  SMTPUTF8 when the relay offers it, and refused for good with a sentence that says so when it does
  not (clinic/mail/international.py keeps such addresses from being registered then).

Every message leaves with a Date header (the moment it is handed over) besides its Message-ID and From.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import cast

from flask import current_app

from clinic.db import utcnow

NO_SMTPUTF8 = ("The address has accented characters and the clinic's mail server does not offer SMTPUTF8, "
               "which delivering to it needs: ask the patient for another address.")
UNWRITABLE = ("The message could not be written for the mail server: an address or header holds characters "
              "it cannot carry ({reason}).")


class TransportError(Exception):
    """Delivery failed; the message may be tried again later."""


class Refused(TransportError):
    """The receiving side refused the message for good: it is not tried again."""


def _ensure_ids(msg: EmailMessage) -> str:
    """Message-ID, From and Date, unless the composer set them, and each multipart's boundary;
    returns the Message-ID."""
    _set_boundaries(msg)
    if not msg.get("Date"):
        msg["Date"] = format_datetime(utcnow())
    if not msg.get("Message-ID"):
        domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip(">") or "clinic.local"
        msg["Message-ID"] = make_msgid(domain=domain)
    if not msg.get("From"):
        msg["From"] = current_app.config["MAIL_FROM"]
    return msg["Message-ID"]


# The boundary of this process's multipart messages. A boundary has only to be absent from the
# message it separates (RFC 2046, 5.1.1), not new for each message: one that is the same from
# message to message lets their Content-Type headers be parsed once (clinic.mail.composers). A
# message whose text holds it gets a random one of its own.
BOUNDARY = "=_" + secrets.token_hex(16)


def _set_boundaries(msg: EmailMessage) -> None:
    """A boundary for each multipart that has none, found in none of its parts' text nor in the
    boundary of a multipart inside it.

    The generator would choose a new one for each message and check it by compiling a regular
    expression; the text is searched for "--" and the boundary directly here."""
    if not msg.is_multipart():
        return
    for part in msg.iter_parts():
        _set_boundaries(part)  # type: ignore[arg-type]  # parts of an EmailMessage are EmailMessages
    if msg.get_boundary() is not None:
        return
    # Its parts' text, with the delimiter lines of the multiparts inside it (set just above).
    texts = [payload if isinstance(payload := part.get_payload(), str) else f"--{part.get_boundary()}"
             for part in msg.walk() if part is not msg]
    boundary = BOUNDARY
    while any("--" + boundary in text for text in texts):
        boundary = "=_" + secrets.token_hex(16)
    msg.set_boundary(boundary)


def _addresses(msg: EmailMessage, *names: str) -> list[str]:
    """The address specs of these headers, read from the parsed headers the message holds."""
    found: list[str] = []
    for name in names:
        for value in msg.get_all(name) or ():
            parsed = getattr(value, "addresses", None)
            if parsed is None:   # a header kept as text (a message of another policy)
                found += [address for _name, address in getaddresses([str(value)])]
            else:
                found += [address.addr_spec for address in parsed]
    return found


def _envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    """The envelope's sender and recipients, as smtplib's send_message reads them from the headers
    (the Sender, else the From; To, Bcc and Cc)."""
    senders = _addresses(msg, "Sender") or _addresses(msg, "From")
    return (senders[0] if senders else ""), _addresses(msg, "To", "Bcc", "Cc")


def international(msg: EmailMessage) -> bool:
    """Whether an address of the message (sender or recipient) needs SMTPUTF8."""
    return any(not address.isascii() for address in _addresses(msg, "From", "Sender", "To", "Cc", "Bcc"))


def _error(err: BaseException) -> TransportError:
    return TransportError(f"{type(err).__name__}: {err}")


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP that remembers whether the current message reached the DATA command."""

    in_data = False

    def data(self, msg):
        self.in_data = True
        return super().data(msg)


class _SMTPSSL(_SMTP, smtplib.SMTP_SSL):
    """The same over implicit TLS (SMTP_SSL, port 465)."""


def _not_handed_over(err: BaseException, smtp: _SMTP) -> bool:
    """The connection broke (or the relay closed it with 421) before DATA: the message was not taken."""
    if smtp.in_data:
        return False
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return all(code == 421 for code, _text in err.recipients.values())
    if isinstance(err, smtplib.SMTPResponseException):
        return err.smtp_code == 421
    return isinstance(err, (smtplib.SMTPServerDisconnected, OSError))


def _hand_over(smtp: _SMTP, msg: EmailMessage) -> None:
    """send_message, with SMTPUTF8 for an internationalised address (refused when the relay lacks it)."""
    sender, recipients = _envelope(msg)
    if international(msg):
        smtp.ehlo_or_helo_if_needed()
        if not smtp.has_extn("smtputf8"):
            raise Refused(NO_SMTPUTF8)
    # send_message sees an internationalised address itself: it adds SMTPUTF8 and BODY=8BITMIME to
    # MAIL FROM (given here too, they would be sent twice) and writes the headers in UTF-8.
    smtp.send_message(msg, sender, recipients)


class SMTPSession:
    """Messages sent one after another over one SMTP connection (see the module's notes)."""

    def __init__(self, config):
        self.config = config
        self.smtp: _SMTP | None = None
        self.down: TransportError | None = None
        self.carried = 0  # messages sent on the current connection

    def open(self) -> _SMTP:
        """A new connection to the relay: TLS and login done as configured."""
        config = self.config
        if config.get("SMTP_SSL"):
            smtp: _SMTP = _SMTPSSL(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"],
                            context=ssl.create_default_context())
        else:
            smtp = _SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
        try:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        except BaseException:
            smtp.close()
            raise
        self.carried = 0
        return smtp

    def _connection(self) -> _SMTP:
        if self.down is not None:
            raise self.down
        if self.smtp is None:
            try:
                self.smtp = self.open()
            except (OSError, smtplib.SMTPException) as err:
                self.down = _error(err)
                raise self.down from err
        return self.smtp

    def _drop(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            smtp.close()

    def send(self, msg: EmailMessage) -> str:
        message_id = _ensure_ids(msg)
        for reopen in (True, False):
            smtp = self._connection()
            smtp.in_data = False
            try:
                _hand_over(smtp, msg)
            except UnicodeError as err:  # the message alone fails, for good; the connection may be
                self._drop()             # half-way through its envelope: not used again
                raise Refused(UNWRITABLE.format(reason=err)) from err
            except (OSError, smtplib.SMTPException) as err:
                reused = self.carried > 0
                refused = isinstance(err, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))
                if smtp.sock is None or not refused:
                    self._drop()  # broken, or closed by smtplib after a 421: not used again
                if reopen and reused and _not_handed_over(err, smtp):
                    continue
                raise _error(err) from err
            self.carried += 1
            return message_id
        raise AssertionError("unreachable")

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


class OutboxSession:
    """Messages written as .eml files in OUTBOX_DIR (no SMTP_HOST: development)."""

    def send(self, msg: EmailMessage) -> str:
        message_id = _ensure_ids(msg)
        return _write_outbox(msg, message_id)

    def close(self) -> None:
        pass


@contextmanager
def session() -> Iterator[SMTPSession | OutboxSession]:
    """`with session() as mail: mail.send(msg)` for as many messages as needed; closed at the end."""
    config = current_app.config
    mail = SMTPSession(config) if config.get("SMTP_HOST") else OutboxSession()
    try:
        yield mail
    finally:
        mail.close()


def send(msg: EmailMessage) -> str:
    """One message on its own connection."""
    with session() as mail:
        return mail.send(msg)


def outbox_dir() -> Path:
    path = Path(current_app.config["OUTBOX_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_outbox(msg: EmailMessage, message_id: str) -> str:
    safe = "".join(c for c in message_id if c.isalnum() or c in "-._")[:120]
    target = outbox_dir() / f"{safe}.eml"
    tmp = target.with_suffix(".tmp")
    # An internationalised address is written as it is (UTF-8), as SMTPUTF8 carries it.
    tmp.write_bytes(msg.as_bytes(policy=cast(EmailPolicy, msg.policy).clone(utf8=True)) if international(msg)
                    else bytes(msg))
    tmp.replace(target)  # atomic: a listing never shows half a message
    return message_id
