"""The administration pages (sites, rooms, physicians' hours and time off, users and their tokens,
the audit log), their forms; the rules they apply live in the sites, scheduling, accounts and audit packages."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from clinic import navigation, register_blueprint
    from clinic.admin import audit_pages, pages_sites, pages_staffing, pages_users, views

    register_blueprint(app, views.bp, pages_sites, pages_staffing, pages_users)
    app.register_blueprint(audit_pages.bp)
    navigation.add("admin.index", _l("All administration pages"), "administer",
                   _l("Sites, rooms, working hours, time off, closures, users"), order=80, group="setup")
    navigation.add("admin.sites", _l("Sites, rooms and calendars"), "manage_sites",
                   _l("Settings, rooms, public holidays and closures"), order=81, group="setup")
    navigation.add("admin.physicians", _l("Working hours and time off"), "manage_staffing",
                   _l("Working hours, time off, week calendar"), order=82, group="setup")
    navigation.add("admin.users", _l("Users"), "manage_users", _l("Roles, sites, passwords, API tokens"), order=83,
                   group="people")
    navigation.add("audit.index", _l("Audit log"), "view_audit", _l("Who read or changed what, and when"), order=80,
                   group="records")
    navigation.add("admin.to_reschedule", _l("To reschedule"), "rearrange",
                   _l("Appointments left outside working time by a change"), order=35)
