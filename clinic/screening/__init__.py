"""Screening: the rules that decide whether an appointment may go ahead, and the preparation sheet."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.screening import views

    app.register_blueprint(views.bp)
