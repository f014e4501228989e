"""What create_app connects: every signal receiver, session listener, message composer, CLI command
and blueprint is wired by a package's init_app, and none by importing a module."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import event
from sqlalchemy.orm import Session

from clinic import INIT_ORDER
from clinic.audit import queries as audit_queries
from clinic.audit.models import AuditEvent
from clinic.cli import clinic_cli
from clinic.links import manage as manage_links
from clinic.mail import confirmation
from clinic.mail.composers import COMPOSERS
from clinic.ops import metrics
from clinic.outcomes import checklist as outcome_checklist
from clinic.portal import manage
from clinic.procedures import effects
from clinic.reminders import composers as reminder_composers
from clinic.reminders import planner
from clinic.reminders.channels import CHANNELS
from clinic.scheduling import signals, stamps
from clinic.sms import compose as sms_compose
from clinic.sms import transport as sms_transport
from clinic.tenancy import fill_organisation
from clinic.waitlist import receivers as waitlist

RECEIVERS = {
    signals.appointment_booked: {planner.on_booked, manage.ensure_link, waitlist.on_booked},
    signals.appointment_rescheduled: {planner.on_rescheduled, waitlist.on_rescheduled},
    signals.appointment_cancelled: {planner.on_cancelled, waitlist.on_cancelled},
    signals.appointment_status_changed: {planner.on_status_changed},
    signals.appointment_needs_reschedule: {planner.on_needs_reschedule},
    signals.appointment_procedure_ended: {planner.on_procedure_ended},
    signals.appointment_preparation_resent: {planner.on_preparation_resent},
    effects.pain_item_recorded: {outcome_checklist.on_pain_item},
    signals.time_off_removed: {waitlist.on_time_off_removed},
    signals.working_hours_set: {waitlist.on_hours_set},
}
LISTENERS = [
    (Session, "before_flush", fill_organisation),
    (Session, "after_flush", stamps._collect),
    (Session, "after_soft_rollback", stamps._forget),
    (Session, "before_commit", stamps._bump_collected),
    (Session, "after_flush", metrics._count_new),
    (Session, "after_commit", metrics._commit_counts),
    (AuditEvent, "before_update", audit_queries._refuse_update),
    (AuditEvent, "before_delete", audit_queries._refuse_delete),
]
BLUEPRINTS = {"accounts", "admin", "api", "audit", "catalog", "mail", "ops", "outcomes", "patients", "portal", "privacy",
              "procedures", "reminders", "scheduling", "sms", "waitlist"}
# Modules that add their routes to another module's blueprint.
ROUTE_MODULES = {"clinic.admin.pages_sites", "clinic.admin.pages_staffing", "clinic.admin.pages_users",
                 "clinic.api.routes_appointments", "clinic.api.routes_checklist", "clinic.api.routes_patients",
                 "clinic.api.routes_reference", "clinic.api.routes_time_off", "clinic.portal.manage_views",
                 "clinic.patients.merge_views"}
MENU = {"admin.index", "admin.physicians", "admin.sites", "admin.users", "admin.to_reschedule", "api.docs", "audit.index", "catalog.index", "outcomes.delivery_view",
        "outcomes.report", "outcomes.safety_view", "patients.index", "portal.requests", "procedures.board",
        "procedures.worklist", "reminders.outbox", "scheduling.day", "mail.folder_index", "waitlist.index"}
COMMANDS = {"create-user", "api-token", "ready", "backup", "send-due", "scheduler", "seed-demo", "seed-scale"}


def test_each_signal_has_its_receivers(app):
    for signal, expected in RECEIVERS.items():
        assert set(signal.receivers_for(object())) == expected, signal.name


def test_each_session_listener_is_attached_once(app):
    for target, name, fn in LISTENERS:
        assert event.contains(target, name, fn), (name, fn.__qualname__)
    from clinic import create_app

    create_app("testing")  # a second app attaches nothing twice: one flush, one bump
    for target, name, fn in LISTENERS:
        if target is Session:
            attached = list(getattr(Session.dispatch, name)._clslevel[Session])
            assert attached.count(fn) == 1, (name, fn.__qualname__)


def test_each_message_kind_has_its_composer(app):
    assert COMPOSERS["confirmation"] is confirmation.compose_confirmation
    assert COMPOSERS["rescheduled"] is confirmation.compose_rescheduled
    assert COMPOSERS["cancellation"] is confirmation.compose_cancellation
    assert reminder_composers.SCHEDULE_KINDS
    for kind in reminder_composers.SCHEDULE_KINDS:
        assert COMPOSERS[kind] is reminder_composers.compose_reminder, kind


def test_the_messages_find_the_manage_links_of_the_portal(app):
    found = manage_links.registered()
    assert found is not None
    assert found.url is manage.manage_url and found.short_url is manage.short_url


def test_text_messages_are_a_channel_of_the_dispatcher(app):
    assert set(CHANNELS) == {"sms"}
    sms = CHANNELS["sms"]
    assert sms.compose is sms_compose.compose and sms.session is sms_transport.session
    assert sms.outbox_files is sms_transport.outbox_files


def test_each_blueprint_and_its_routes_are_registered(app):
    assert set(app.blueprints) == BLUEPRINTS
    modules = {fn.__module__ for fn in app.view_functions.values()}
    assert modules >= ROUTE_MODULES


def test_patient_merges_ask_the_schedule_through_the_guard_it_installs(app):
    """Scheduling installs the guard a merge of two patient records asks about overlapping appointments."""
    from clinic.patients import merge
    from clinic.scheduling import merge_guard

    assert app.extensions[merge.KEY] is merge_guard.GUARD


def test_site_changes_ask_the_schedule_through_the_guard_it_installs(app, paris):
    """Scheduling installs the appointment guard that site closures and room changes ask; without it
    a closure is refused rather than saved blind."""
    import datetime as dt

    import pytest

    from clinic.scheduling import affected
    from clinic.sites import guard, services

    installed = app.extensions[guard.KEY]
    assert (installed.active, installed.settle) == (affected.active_appointments, affected.settle)
    del app.extensions[guard.KEY]
    try:
        with pytest.raises(guard.GuardMissing):
            services.add_exception(paris, dt.date(2026, 6, 10), "closed", None, None, "Works")
    finally:
        app.extensions[guard.KEY] = installed


def test_each_command_is_on_the_clinic_group(app):
    assert app.cli.commands["clinic"] is clinic_cli
    assert set(clinic_cli.commands) == COMMANDS


def test_each_menu_entry_is_added_once(app):
    from clinic import create_app, navigation

    assert sorted(item.endpoint for item in navigation._ITEMS) == sorted(MENU)
    assert set(app.view_functions) >= MENU
    create_app("testing")  # a second app adds no entry twice
    assert sorted(item.endpoint for item in navigation._ITEMS) == sorted(MENU)


def test_importing_every_module_connects_nothing():
    """Without create_app, importing every module of the package (views included) leaves each signal
    without a receiver, the session without listeners, the composers, the commands and the menu empty, and
    no finder of manage links and no channel but e-mail."""
    code = """
import pkgutil, importlib, clinic
from sqlalchemy import event
from sqlalchemy.orm import Session
for info in pkgutil.walk_packages(clinic.__path__, "clinic."):
    importlib.import_module(info.name)
from clinic.scheduling import signals
from clinic.procedures.effects import pain_item_recorded
from clinic.mail.composers import COMPOSERS
from clinic.cli import clinic_cli
from clinic.navigation import _ITEMS
from clinic.links.manage import registered
from clinic.reminders.channels import CHANNELS
connected = [s.name for s in [*vars(signals).values(), pain_item_recorded] if hasattr(s, "receivers") and s.receivers]
listening = [n for n in ("before_flush", "after_flush", "before_commit", "after_commit", "after_soft_rollback")
             if list(getattr(Session.dispatch, n)._clslevel.get(Session, ()))]
print(connected, listening, sorted(COMPOSERS), sorted(clinic_cli.commands), [i.endpoint for i in _ITEMS],
      registered(), sorted(CHANNELS))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[] [] [] [] [] None []"


def test_every_package_is_initialised_once():
    assert len(INIT_ORDER) == len(set(INIT_ORDER))
    assert INIT_ORDER[0] == "clinic.tenancy"
