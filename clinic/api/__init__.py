"""The JSON API, /api/v1, and its OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

# The modules that add routes to the API blueprint, in the order of the document.
ROUTE_MODULES = tuple(f"clinic.api.routes_{name}" for name in
                      ("appointments", "checklist", "reference", "patients", "time_off", "waitlist"))


def init_app(app: Flask) -> None:
    from clinic import navigation, register_blueprint
    from clinic.api import (
        routes_appointments,
        routes_checklist,
        routes_patients,
        routes_reference,
        routes_time_off,
        routes_waitlist,
        views,
    )

    register_blueprint(app, views.bp, routes_appointments, routes_checklist, routes_patients, routes_reference,
                       routes_time_off, routes_waitlist)
    navigation.add("api.docs", _l("API documentation"), "api_docs_menu", _l("The JSON API v1, read from its OpenAPI document"),
                   order=95, group="reports")
