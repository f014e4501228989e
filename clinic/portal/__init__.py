"""The patient portal: manage links, requests to move or cancel, pain scores."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic import register_blueprint
    from clinic.portal import manage, manage_views, views

    manage.connect()
    register_blueprint(app, views.bp, manage_views)
