"""The audit log: who saw or changed what, append-only."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.audit import queries, views

    queries.guard()
    app.register_blueprint(views.bp)
