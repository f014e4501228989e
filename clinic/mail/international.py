"""Whether mail reaches internationalised addresses (accented letters before or after the @): they
travel only over SMTPUTF8, which the relay offers or not.

MAIL_SMTPUTF8 says so: "yes" (the relay offers it), "no" (it does not), "auto" (ask it: the relay's
EHLO answer is read once and kept for the process). Auto fails closed: a relay that cannot be reached
counts as one that does not offer SMTPUTF8 (asked again after UNREACHABLE_RETRY), since an address
registered on a guess would fail at its first message. Without SMTP_HOST, the mail folder writes
any address. clinic.mail.init_app installs `accepts_international` as the patients' registration
check (clinic/patients/emails.py).
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Mapping
from typing import Any

from flask import current_app

from clinic.mail import transport

SETTINGS = ("auto", "yes", "no")
UNREACHABLE_RETRY = 60.0  # seconds before an unreachable relay is asked again

# (host, port, implicit TLS, STARTTLS) -> (offers SMTPUTF8, until when the answer holds (monotonic))
_answers: dict[tuple[Any, ...], tuple[bool, float]] = {}


def probe(config: Mapping[str, Any]) -> bool | None:
    """Whether the relay's EHLO (after STARTTLS when configured) offers SMTPUTF8; None if unreachable."""
    try:
        smtp = transport.SMTPSession(config).open()
    except (OSError, smtplib.SMTPException):
        return None
    try:
        smtp.ehlo_or_helo_if_needed()
        return bool(smtp.has_extn("smtputf8"))
    except (OSError, smtplib.SMTPException):
        return None
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def relay_offers_smtputf8(config: Mapping[str, Any]) -> bool:
    """The relay's answer, asked once per process (an unreachable relay: False, asked again later)."""
    key = (config.get("SMTP_HOST"), config.get("SMTP_PORT"), bool(config.get("SMTP_SSL")),
           bool(config.get("SMTP_STARTTLS")))
    now = time.monotonic()
    known = _answers.get(key)
    if known is not None and now < known[1]:
        return known[0]
    answer = probe(config)
    _answers[key] = (bool(answer), float("inf") if answer is not None else now + UNREACHABLE_RETRY)
    return bool(answer)


def forget() -> None:
    """Ask the relays again (a relay changed its configuration)."""
    _answers.clear()


def accepts_international() -> bool:
    """Whether an internationalised address may be registered: its messages would reach it."""
    config = current_app.config
    setting = str(config.get("MAIL_SMTPUTF8") or "auto").strip().lower()
    if setting == "yes":
        return True
    if setting != "auto":  # "no", or a value this code does not understand: refused
        return False
    if not config.get("SMTP_HOST"):
        return True  # the mail folder (development) writes the address as it is
    return relay_offers_smtputf8(config)
