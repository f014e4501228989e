"""Optional error reports to Sentry (SENTRY_DSN), scrubbed of patient data before they leave.

`scrub` is the before_send hook: it removes request bodies, cookies, query strings and every
header but a few harmless ones, and replaces the value of any field whose name looks like patient
data (name, e-mail, phone, birth date, address, notes...) or a secret, wherever it sits in the
event. Local variables are never attached (include_local_variables=False), nor request bodies
(max_request_body_size="never"), nor default PII.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

from flask import Flask

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

REMOVED = "[removed]"
SENSITIVE = re.compile(
    r"name|mail|phone|mobile|birth|dob|address|street|city|postal|zip|patient|note|comment|reason|"
    r"allerg|medication|condition|diagnos|ssn|insurance|mrn|token|password|passwd|secret|session|cookie|"
    r"csrf|authorization|api[_-]?key|query|search|^q$|ip_address|user_agent",
    re.IGNORECASE,
)
KEPT_HEADERS = {"content-type", "content-length", "accept", "host", "x-request-id"}


def _scrub_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REMOVED if isinstance(k, str) and SENSITIVE.search(k) else _scrub_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _scrub_request(req: dict) -> dict:
    out = {k: v for k, v in req.items() if k not in {"data", "cookies", "query_string", "env"}}
    if isinstance(out.get("url"), str):
        out["url"] = _without_query(out["url"])
    headers = out.get("headers") or {}
    out["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    return out


def scrub(event: dict, _hint: dict | None = None) -> dict:
    """The before_send hook (also used for transactions): the event without patient data."""
    event = dict(event)
    if isinstance(event.get("request"), dict):
        event["request"] = _scrub_request(event["request"])
    event.pop("user", None)
    for key in ("extra", "contexts", "tags"):
        if key in event:
            event[key] = _scrub_value(event[key])
    if isinstance(event.get("breadcrumbs"), dict):
        crumbs = event["breadcrumbs"].get("values", [])
        event["breadcrumbs"] = {"values": [_scrub_value(c) for c in crumbs]}
    return event


def _before_send(event: Event, hint: Hint) -> Event:
    return cast("Event", scrub(dict(event), hint))


def init_app(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        environment=app.config.get("SENTRY_ENVIRONMENT"),
        # send_default_pii stays at its default (off; the option itself is deprecated): no user, IP or cookies.
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=app.config.get("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        before_send=_before_send,
        before_send_transaction=_before_send,
        transport=app.config.get("SENTRY_TRANSPORT"),  # tests give a fake one; None: Sentry's own
    )
