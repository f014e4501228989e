"""The administration pages (sites, rooms, physicians' hours and time off, users and their tokens),
their forms; the rules they apply live in the sites, scheduling and accounts packages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic import register_blueprint
    from clinic.admin import pages_sites, pages_staffing, pages_users, views

    register_blueprint(app, views.bp, pages_sites, pages_staffing, pages_users)
