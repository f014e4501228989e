"""Reading the development outbox: the .eml files the transport writes when no SMTP relay is set.
Names are checked against the folder's own listing, so no path ever leaves it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from flask import current_app

NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}\.eml$")
SHOWN_HEADERS = ("Date", "From", "To", "Subject", "Message-ID", "Content-Language")


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    size: int
    mtime: float
    headers: dict[str, str]


def folder() -> Path:
    return Path(current_app.config["OUTBOX_DIR"])


def _files() -> list[Path]:
    path = folder()
    if not path.is_dir():
        return []
    files = [p for p in path.iterdir() if p.is_file() and NAME.match(p.name)]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def _headers(msg: EmailMessage) -> dict[str, str]:
    out = {}
    for name in SHOWN_HEADERS:
        try:
            value = msg.get(name)
        except Exception:  # noqa: BLE001 - a malformed header must not break the page: show it raw
            value = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), "")
        out[name] = str(value or "")
    return out


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    try:
        return body.get_content()
    except (LookupError, UnicodeError, KeyError):   # unknown charset or broken encoding
        raw = body.get_payload(decode=True)   # the bytes of a single part
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""


def page(number: int, per_page: int = 20) -> tuple[list[OutboxEntry], int]:
    """One page of messages, newest first, and the total count."""
    files = _files()
    number = max(1, number)
    chosen = files[(number - 1) * per_page: number * per_page]
    entries = []
    for path in chosen:
        stat = path.stat()
        entries.append(OutboxEntry(path.name, stat.st_size, stat.st_mtime, _headers(_parse(path))))
    return entries, len(files)


def addressed_patients(headers: list[dict[str, str]]) -> list[int]:
    """The patients the messages were sent to (by the address in To), for the audit log."""
    from email.utils import getaddresses

    import sqlalchemy as sa

    from clinic.extensions import db
    from clinic.patients.models import Patient

    addresses = {a.lower() for h in headers for _n, a in getaddresses([h.get("To", "")]) if a}
    if not addresses:
        return []
    return list(db.session.scalars(sa.select(Patient.id).where(sa.func.lower(Patient.email).in_(addresses))
                                   .order_by(Patient.id)))


def read(name: str) -> dict | None:
    """One message: headers, plain-text body, the content types of its parts and attachment names."""
    if not NAME.match(name):
        return None
    path = next((p for p in _files() if p.name == name), None)
    if path is None:
        return None
    msg = _parse(path)
    parts = [part.get_content_type() for part in msg.walk() if not part.is_multipart()]
    attachments = [part.get_filename() or part.get_content_type() for part in msg.iter_attachments()]
    return {"name": name, "headers": _headers(msg), "text": _text(msg),
            "parts": parts, "attachments": attachments}
