"""Outgoing mail: composers per message kind, the transport (SMTP relay or outbox folder) and the
development mail folder's pages."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.mail import confirmation, international, views
    from clinic.mail.composers import register_composer
    from clinic.patients import emails

    register_composer(confirmation.compose_confirmation, "confirmation")
    register_composer(confirmation.compose_rescheduled, "rescheduled")
    register_composer(confirmation.compose_cancellation, "cancellation")
    # Registration asks whether an address with accented characters would be reached.
    emails.install(app, international.accepts_international)
    app.register_blueprint(views.bp)
    navigation.add("mail.folder_index", _l("Mail folder"), "read_mail_folder", _l("Messages written in development"),
                   order=90, group="records")
