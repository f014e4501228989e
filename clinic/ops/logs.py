"""JSON-line logs: one line per request (request id, method, route, status, duration) and every
`clinic.*` log record, each carrying the request id of the request it belongs to.

A request's line names its route's rule (`/patients/<int:patient_id>`), never the path as typed
nor its query string: search terms, names and tokens stay out of the logs. The request id is the
caller's `X-Request-ID` when it is a plain token, else a new one; it is returned in the answer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import uuid
from time import perf_counter

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_HANDLER_FLAG = "_clinic_ops_handler"
access = logging.getLogger("clinic.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the record's extras."""

    FIELDS = ("method", "route", "status", "duration_ms", "endpoint")

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        line |= {name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


class _Stderr(logging.StreamHandler):
    """A handler on whatever sys.stderr is when the record is written (not when it was built)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(fmt: str, level: str) -> None:
    """Give the `clinic` logger one stderr handler in this format (replacing an earlier one)."""
    from flask.logging import default_handler

    logger = logging.getLogger("clinic")
    for old in [h for h in logger.handlers if getattr(h, _HANDLER_FLAG, False) or h is default_handler]:
        logger.removeHandler(old)
    handler = _Stderr()
    setattr(handler, _HANDLER_FLAG, True)
    handler.addFilter(_RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    elif fmt == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        raise RuntimeError(f"LOG_FORMAT must be json or text, not {fmt!r}")
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def route_of() -> str:
    """The matched rule, or a fixed word for a path that matched none (never the path itself)."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def init_app(app: Flask) -> None:
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    @app.before_request
    def take_request_id() -> None:
        given = request.headers.get(HEADER, "")
        g.request_id = given if _ACCEPTED_ID.match(given) else uuid.uuid4().hex
        g.setdefault("request_started", perf_counter())

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[HEADER] = request_id
        started = g.get("request_started")
        duration = round((perf_counter() - started) * 1000, 1) if started is not None else None
        access.info("request", extra={"request_id": request_id, "method": request.method, "route": route_of(),
                                      "status": response.status_code, "duration_ms": duration,
                                      "endpoint": request.endpoint})
        return response
