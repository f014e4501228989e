"""Scheduling: appointments, availability and the schedule stamps."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.scheduling import stamps, views

    stamps.listen()
    app.register_blueprint(views.bp)
