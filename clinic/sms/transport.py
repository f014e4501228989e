"""Handing an SMS over, by SMS_PROVIDER: `outbox` writes it as a JSON file under SMS_DIR
(instance/sms/, listed on the admin outbox page); `http` POSTs {"to", "body", "reference"} to
SMS_HTTP_URL with `Authorization: Bearer SMS_HTTP_TOKEN`. A 2xx answer is accepted and its JSON `id`
returned (kept on the row); 429, 5xx and a network failure are retried with the dispatcher's backoff
(TransportError); any other answer fails the row at once (Refused)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

from clinic.mail import transport
from clinic.mail.transport import TransportError
from clinic.sms.compose import Sms


class Refused(transport.Refused):
    """The gateway refused the message for good (a 4xx other than 429): not tried again."""


def sms_dir() -> Path:
    path = Path(current_app.config["SMS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


class OutboxSms:
    def send(self, sms: Sms) -> str:
        target = sms_dir() / f"{sms.reference}.json"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps({"to": sms.to, "body": sms.body, "reference": sms.reference},
                                  ensure_ascii=False), encoding="utf-8")
        tmp.replace(target)  # atomic: a listing never shows half a message
        return f"outbox:{target.name}"


class HttpSms:
    def __init__(self, config):
        self.url = config["SMS_HTTP_URL"]
        self.token = config["SMS_HTTP_TOKEN"]
        self.timeout = config.get("SMS_HTTP_TIMEOUT", 10)

    def send(self, sms: Sms) -> str:
        data = json.dumps({"to": sms.to, "body": sms.body, "reference": sms.reference}).encode()
        # The scheme is http(s): check_sms() refuses any other SMS_HTTP_URL at startup.
        request = urllib.request.Request(self.url, data=data, method="POST", headers={  # noqa: S310
            "Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (configured URL)
                raw = answer.read(65536)
        except urllib.error.HTTPError as err:
            status = err.code
            if status == 429 or status >= 500:
                raise TransportError(f"SMS gateway answered {status}") from err
            raise Refused(f"SMS gateway refused the message: {status}") from err
        except (OSError, ValueError) as err:  # URLError, timeouts, a refused connection
            raise TransportError(f"SMS gateway unreachable: {type(err).__name__}: {err}") from err
        try:
            found = json.loads(raw or b"{}")
        except ValueError:
            found = {}
        message_id = found.get("id") if isinstance(found, dict) else None
        return str(message_id) if message_id not in (None, "") else f"gateway:{sms.reference}"


@contextmanager
def session() -> Iterator[OutboxSms | HttpSms]:
    config = current_app.config
    yield HttpSms(config) if config.get("SMS_PROVIDER") == "http" else OutboxSms()


def outbox_files(limit: int = 50) -> list[dict]:
    """The newest SMS written by the outbox provider (the admin outbox page)."""
    path = Path(current_app.config["SMS_DIR"])
    if not path.is_dir():
        return []
    files = sorted(path.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]
    out = []
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append({"name": file.name, "to": data.get("to", ""), "body": data.get("body", ""),
                    "reference": data.get("reference", "")})
    return out
