"""Privacy: a patient's data export and erasure."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.privacy import views

    app.register_blueprint(views.bp)
