"""Outcomes: pain scores after a procedure, adverse events and their statistics."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.outcomes import views

    app.register_blueprint(views.bp)
