"""Outcomes: pain scores after a procedure, adverse events and their statistics."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.outcomes import checklist, patient_panel, views
    from clinic.patients.panels import add_panel

    checklist.connect()
    app.register_blueprint(views.bp)
    add_panel(app, patient_panel.PANEL)
    navigation.add("outcomes.report", _l("Outcomes"), "read_outcomes", _l("Pain relief and responder rates per procedure"), order=70,
                   group="reports")
    navigation.add("outcomes.safety_view", _l("Safety"), "read_outcomes",
                   _l("Complications, overrides, steroid exposure and radiation"), order=72,
                   group="reports")
    navigation.add("outcomes.delivery_view", _l("Reminder delivery"), "manage_reminders",
                   _l("Reminders sent, pending, retrying and failed per day and site"), order=74,
                   group="records")
