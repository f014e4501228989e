"""Security headers on every answer, and sessions that expire after inactivity."""

from __future__ import annotations

from flask import Flask, Response, abort, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter

from clinic.errors import is_api_request

# The header of requests a page makes by itself (the day board's refresh): they do not count as
# activity, so they never renew the session's idle timeout.
BACKGROUND_HEADER = "X-Clinic-Background"


class SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose idle timeout is renewed only by what the user does.

    The API authenticates by bearer token and uses no cookie: its requests get an empty session
    that is never read from the cookie nor written back (a browser's session cookie sent along with
    an API call is left as it was, neither renewed nor cleared)."""

    def open_session(self, app, request):
        if is_api_request():
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if is_api_request():
            return
        super().save_session(app, session, response)

    def should_set_cookie(self, app, session) -> bool:
        if request.headers.get(BACKGROUND_HEADER) and not session.modified:
            return False
        return super().should_set_cookie(app, session)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)



class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` path values that fit a database integer: a larger one is a 404, not a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _field_with_nul() -> str | None:
    """The first place of the request holding a NUL character: path, a query or form field, the body."""
    if "\x00" in request.path:
        return "path"
    sources = [request.args] if request.is_json else [request.args, request.form]
    for source in sources:
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "")
    # An anonymous API call is answered 401 without its body ever being read (MAX_CONTENT_LENGTH
    # bounds what a caller with a header can make the server read).
    anonymous_api = is_api_request() and not request.headers.get("Authorization")
    if request.is_json and not anonymous_api:
        data = request.get_data(cache=True)
        if b"\x00" in data or b"\\u0000" in data:
            return "body"
    return None


def register(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.session_interface = SessionInterface()

    @app.before_request
    def refuse_large_bodies() -> None:
        # Before anything reads the body or authenticates: the announced size alone decides (a body
        # sent without one is cut at the same size by Werkzeug when it is read).
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            abort(413)

    @app.before_request
    def refuse_nul_characters() -> None:
        # PostgreSQL text cannot hold U+0000: such input is refused here, by name, not by a 500.
        field = _field_with_nul()
        if field is not None:
            from clinic.errors import ValidationFailed

            raise ValidationFailed({field: "NUL characters are not accepted."})

    @app.before_request
    def idle_expiry() -> None:
        # A permanent session lasts PERMANENT_SESSION_LIFETIME after the last request (the API has none).
        if not session.permanent and not is_api_request():  # setting it marks the session modified (a new cookie)
            session.permanent = True

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if is_api_request() or response.mimetype in ("text/html", "text/csv"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
