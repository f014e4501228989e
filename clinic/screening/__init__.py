"""Screening: the rules that decide whether an appointment may go ahead, and the preparation sheet."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.screening import views

    app.register_blueprint(views.bp)
    navigation.add("screening.outbox_index", _l("Mail folder"), "read_mail_folder", _l("Messages written in development"),
                   order=90)
