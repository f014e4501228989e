"""Domain errors, the API's JSON error body, and the HTML error pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_app_context, jsonify, render_template, request
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException

from clinic.extensions import db


class DomainError(Exception):
    """A refusal by business code: a stable code, a message for people, details for machines.

    The message may be a lazy translation (`lazy_gettext`): `message` is then its English, as the
    API, the logs and the command line give it, and `text` is the same sentence in the reader's
    language, for the pages."""

    status = 422

    def __init__(self, code: str, message: Any, details: dict[str, Any] | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self._message = message
        self.details = details or {}
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        if isinstance(self._message, str) or not has_app_context():
            return str(self._message)
        with force_locale("en"):
            return str(self._message)

    @property
    def text(self) -> str:
        """The message in the reader's language (its English where no French was written)."""
        return str(self._message)


class Conflict(DomainError):
    status = 409


class ValidationFailed(DomainError):
    """Input that names each bad field in `details`."""

    def __init__(self, details: dict[str, str], message: str = "Some fields are invalid."):
        super().__init__("invalid", message, details)


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


API_PREFIX = "/api/"


def is_api_request() -> bool:
    """Whether this request is the API's (answered in JSON, authenticated by bearer token, no cookie)."""
    return request.path.startswith(API_PREFIX)


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        db.session.rollback()
        if is_api_request():
            return jsonify(error_body(err.code, err.message, err.details)), err.status
        return render_template("errors/error.html", status=err.status, message=err.text), err.status

    @app.errorhandler(RecursionError)
    def nested_too_deeply(err: RecursionError):
        # JSON nested thousands of levels deep exhausts the parser's stack: the body is refused.
        return domain_error(ValidationFailed({"body": "The JSON is nested too deeply."}))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        if is_api_request():
            response = jsonify(error_body(HTTP_CODES.get(status, "error"), err.description or err.name))
            if status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="clinic"'
            return response, status
        template = f"errors/{status}.html" if status in (403, 404) else "errors/error.html"
        return render_template(template, status=status, message=err.description), status

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_UNEXPECTED", True):
            raise err
        if is_api_request():
            return jsonify(error_body("server_error", "An unexpected error occurred.")), 500
        return render_template("errors/error.html", status=500, message=None), 500
