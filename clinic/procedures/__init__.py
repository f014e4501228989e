"""Procedure day: the checklist of each appointment and the board."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.procedures import views

    app.register_blueprint(views.bp)
    navigation.add("procedures.board", _l("Day board"), "view_schedule", _l("Today's cases per room, live"), order=30)
    navigation.add("procedures.worklist", _l("My day"), "my_day", _l("Your own cases of the day"), order=31)
