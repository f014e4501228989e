"""Text messages: the SMS of the day-before and medicine-stop reminders, their transports (the dispatcher's
channel "sms", registered here) and the gateway's inbound STOP answers. The short manage link they carry
is the portal's."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.reminders.channels import Channel, register_channel
    from clinic.sms import compose, transport, views

    register_channel(Channel("sms", compose=compose.compose, session=transport.session,
                             outbox_files=transport.outbox_files))
    app.register_blueprint(views.bp)
