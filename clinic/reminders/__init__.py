"""Reminders: planned from the appointment signals, sent by the dispatcher from the outbox."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.cli import add_commands
    from clinic.mail.composers import register_composer
    from clinic.patients.badges import add_badge
    from clinic.patients.panels import add_panel
    from clinic.reminders import cli, composers, home_tasks, patient_badge, patient_panel, planner, views

    planner.connect()
    add_panel(app, patient_panel.PANEL)
    add_badge(app, patient_badge.BADGE)
    navigation.add_home_task(app, home_tasks.TASK)
    register_composer(composers.compose_reminder, *composers.SCHEDULE_KINDS)
    app.register_blueprint(views.bp)
    add_commands(cli.send_due, cli.scheduler)
    navigation.add("reminders.outbox", _l("Outbox"), "manage_reminders", _l("Reminder delivery by status, site and date"),
                   order=80, group="records")
