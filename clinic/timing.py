"""`Server-Timing: app;dur=...` on every answer: the time spent in the app, in milliseconds.

Browsers' developer tools and the benchmarks read it, so the server's own time can be told
apart from the network and the client.
"""

from __future__ import annotations

from time import perf_counter

from flask import Flask, Response, current_app, g


def register(app: Flask) -> None:
    @app.before_request
    def start_clock() -> None:
        g.request_started = perf_counter()

    @app.after_request
    def server_timing(response: Response) -> Response:
        started = g.get("request_started")
        # Off in production unless SERVER_TIMING=1: the exact time tells an observer what the server did.
        if started is not None and current_app.config.get("SERVER_TIMING"):
            response.headers["Server-Timing"] = f"app;dur={(perf_counter() - started) * 1000:.1f}"
        return response
