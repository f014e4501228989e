"""The patient portal: manage links, requests to move or cancel, pain scores."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation, register_blueprint
    from clinic.patients.panels import add_panel
    from clinic.portal import home_tasks, manage, manage_views, patient_panel, views

    manage.connect()
    add_panel(app, patient_panel.PANEL)
    navigation.add_home_task(app, home_tasks.TASK)
    register_blueprint(app, views.bp, manage_views)
    navigation.add("portal.requests", _l("Patient requests"), "handle_requests", _l("Cancellation requests sent from patient links"),
                   order=35)
