"""Procedure day: the checklist of each appointment and the board."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.procedures import views

    app.register_blueprint(views.bp)
