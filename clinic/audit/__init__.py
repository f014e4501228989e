"""The audit log: who saw or changed what, append-only."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.audit import queries, views

    queries.guard()
    app.register_blueprint(views.bp)
    navigation.add("audit.index", _l("Audit log"), "view_audit", _l("Who read or changed what, and when"), order=80)
