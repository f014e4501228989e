"""Scheduling: appointments, availability and the schedule stamps."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.patients import merge
    from clinic.patients.panels import add_panel
    from clinic.scheduling import affected, home_tasks, merge_guard, patient_panel, stamps, views, words
    from clinic.sites import guard

    stamps.listen()
    # Site closures, reopened holidays and room changes ask the schedule what they would strand.
    guard.install(app, guard.AppointmentGuard(active=affected.active_appointments, settle=affected.settle))
    app.register_blueprint(views.bp)
    words.register(app)
    add_panel(app, patient_panel.PANEL)
    merge.install(app, merge_guard.GUARD)  # a merge of two patient records asks the schedule
    for task in home_tasks.TASKS:
        navigation.add_home_task(app, task)
    navigation.add("scheduling.day", _l("Appointments"), "view_schedule", _l("The day's appointments at each site"), order=30)
