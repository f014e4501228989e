"""Patients: their records, phones and search."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation, register_blueprint
    from clinic.patients import merge_views, views

    register_blueprint(app, views.bp, merge_views)
    navigation.add("patients.index", _l("Patients"), "view_patients", _l("Find, register and update patients"), order=20)
