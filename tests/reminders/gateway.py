"""A real HTTP server standing in for the SMS gateway: it records every POST (headers and JSON) and
answers from a script of status codes (then 200 with a JSON id)."""

from __future__ import annotations

import itertools
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self, script: list[int] | None = None):
        self.script = list(script or [])
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                with gateway.lock:
                    status = gateway.script.pop(0) if gateway.script else 200
                    gateway.received.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                             "json": body, "status": status})
                    answer = {"id": f"gw-{next(gateway._ids)}"} if status < 300 else {"error": "busy"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/messages"

    def start(self) -> Gateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[dict]:
        with self.lock:
            return [r["json"] for r in self.received if r["status"] < 300]


TOKEN = "gateway-test-token"


@contextmanager
def sending_to(app, gateway: Gateway):
    """The app's SMS go to this gateway for the duration of the block."""
    keys = ("SMS_PROVIDER", "SMS_HTTP_URL", "SMS_HTTP_TOKEN")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(SMS_PROVIDER="http", SMS_HTTP_URL=gateway.url, SMS_HTTP_TOKEN=TOKEN)
    try:
        yield gateway
    finally:
        app.config.update(saved)
