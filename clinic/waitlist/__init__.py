"""The waiting list: patients waiting for a time, the times freed by cancellations, reschedules,
time off removed and new working hours, and first-come offers of those times to the patients."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.mail.composers import register_composer
    from clinic.patients.panels import add_panel
    from clinic.waitlist import home_tasks, offer_mail, patient_panel, receivers, views

    receivers.connect()
    register_composer(offer_mail.compose_offer, offer_mail.KIND)
    app.register_blueprint(views.bp)
    add_panel(app, patient_panel.PANEL)
    for task in home_tasks.TASKS:
        navigation.add_home_task(app, task)
    navigation.add("waitlist.index", _l("Waiting list"), "waiting_list",
                   _l("Patients waiting for a time to free up, per site"), order=35)
