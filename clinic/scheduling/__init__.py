"""Scheduling: appointments, availability and the schedule stamps."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.scheduling import stamps, views

    stamps.listen()
    app.register_blueprint(views.bp)
    navigation.add("scheduling.day", _l("Appointments"), "view_schedule", _l("The day's appointments at each site"), order=30)
