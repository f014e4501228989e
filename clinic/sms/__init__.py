"""Text messages: the SMS of the day-before and medicine-stop reminders, their transports, the short
manage link they carry and the gateway's inbound STOP answers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.sms import views

    app.register_blueprint(views.bp)
