"""Outgoing mail: composers per message kind, and the transport (SMTP relay or outbox folder)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.mail import confirmation
    from clinic.mail.composers import register_composer

    register_composer(confirmation.compose_confirmation, "confirmation")
    register_composer(confirmation.compose_rescheduled, "rescheduled")
    register_composer(confirmation.compose_cancellation, "cancellation")
