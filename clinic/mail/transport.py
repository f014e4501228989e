"""Delivering a composed message: to the SMTP relay when SMTP_HOST is set, else as an .eml file in
the outbox folder (development). Returns the Message-ID. Raises TransportError on a failure worth
retrying."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


class TransportError(Exception):
    """Delivery failed; the message may be tried again later."""


def _ensure_ids(msg: EmailMessage) -> str:
    if not msg.get("Message-ID"):
        domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip(">") or "clinic.local"
        msg["Message-ID"] = make_msgid(domain=domain)
    if not msg.get("From"):
        msg["From"] = current_app.config["MAIL_FROM"]
    return msg["Message-ID"]


def send(msg: EmailMessage) -> str:
    message_id = _ensure_ids(msg)
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return _write_outbox(msg, message_id)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as err:
        raise TransportError(f"{type(err).__name__}: {err}") from err
    return message_id


def outbox_dir() -> Path:
    path = Path(current_app.config["OUTBOX_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_outbox(msg: EmailMessage, message_id: str) -> str:
    safe = "".join(c for c in message_id if c.isalnum() or c in "-._")[:120]
    target = outbox_dir() / f"{safe}.eml"
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(bytes(msg))
    tmp.replace(target)  # atomic: a listing never shows half a message
    return message_id
