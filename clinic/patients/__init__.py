"""Patients: their records, phones and search."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.patients import views

    app.register_blueprint(views.bp)
