"""The JSON API, /api/v1, and its OpenAPI document."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic import register_blueprint
    from clinic.api import (routes_appointments, routes_checklist, routes_patients, routes_reference,
                            routes_time_off, views)

    register_blueprint(app, views.bp, routes_appointments, routes_checklist, routes_patients, routes_reference,
                       routes_time_off)
