"""Error reports: sent to Sentry only when SENTRY_DSN is set, and without request bodies,
cookies, query strings, secret headers or any field named like patient data."""

from __future__ import annotations

import json

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from clinic import create_app
from clinic.access import public
from clinic.ops.errors import REMOVED, scrub


class FakeTransport(Transport):
    """Keeps the events Sentry would have sent."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope) -> None:
        for item in envelope.items:
            if item.type == "event":
                self.events.append(json.loads(item.payload.get_bytes()))


@pytest.fixture
def reporting(tmp_path):
    transport = FakeTransport()
    app = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
                      "SENTRY_DSN": "https://public@sentry.invalid/1", "SENTRY_TRANSPORT": transport,
                      "PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": False})

    @public
    def fails():
        raise RuntimeError("the view failed")

    app.add_url_rule("/fails", "fails", fails, methods=["POST"])
    yield app, transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)  # reporting off again for the tests that follow


def test_an_error_is_reported_without_patient_data(reporting):
    app, transport = reporting
    answer = app.test_client().post(
        "/fails?q=Dubois&token=s3cret", data={"first_name": "Marie", "email": "marie.dubois@example.org"},
        headers={"Cookie": "session=abc123", "Authorization": "Bearer clk_secret", "X-Request-ID": "req-1",
                 "Referer": "https://clinic.example/patients/?q=Dubois"})
    assert answer.status_code == 500
    sentry_sdk.flush()
    (event,) = transport.events
    assert event["exception"]["values"][0]["type"] == "RuntimeError"
    text = json.dumps(event)
    for secret in ("Dubois", "Marie", "marie.dubois", "s3cret", "abc123", "clk_secret"):
        assert secret not in text, secret
    request = event["request"]
    assert "data" not in request and "cookies" not in request and "query_string" not in request
    assert request["url"].endswith("/fails")
    assert set(request["headers"]) <= {"Content-Type", "Content-Length", "Host", "X-Request-Id", "X-Request-ID"}
    assert "user" not in event


def test_nothing_is_sent_without_a_dsn(tmp_path):
    app = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    assert app.config["SENTRY_DSN"] is None
    assert not sentry_sdk.get_client().is_active()


def test_the_scrubber_replaces_fields_named_like_patient_data_at_any_depth():
    event = {"extra": {"patient": {"id": 4}, "rows": [{"last_name": "Dubois", "count": 2}], "Email": "x@y.z"},
             "contexts": {"booking": {"birth_date": "1960-05-17", "site": "paris"}},
             "breadcrumbs": {"values": [{"data": {"phone": "+33 6", "status": 200}}]},
             "user": {"email": "x@y.z"},
             "request": {"url": "https://c.example/p?q=Dubois", "query_string": "q=Dubois", "data": {"a": 1},
                         "cookies": {"session": "s"}, "headers": {"Cookie": "s", "Accept": "*/*"}}}
    out = scrub(event)
    assert out["extra"] == {"patient": REMOVED, "rows": [{"last_name": REMOVED, "count": 2}], "Email": REMOVED}
    assert out["contexts"] == {"booking": {"birth_date": REMOVED, "site": "paris"}}
    assert out["breadcrumbs"]["values"][0]["data"] == {"phone": REMOVED, "status": 200}
    assert "user" not in out
    assert out["request"] == {"url": "https://c.example/p", "headers": {"Accept": "*/*"}}
