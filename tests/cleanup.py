"""Removing rows that a test committed for real (concurrency and multi-process tests).

Deletes in foreign-key order everything hanging off the given sites, users and patients. The
audit log is append-only (triggers, migrations 0007 and 0016); test clean-up alone bypasses them,
for its own transaction only: on PostgreSQL with session_replication_role = replica (which needs
the superuser the tests connect as), on SQLite by dropping the triggers and creating them again
from their own stored SQL before the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from clinic.extensions import db


def purge(site_ids: Iterable[int] = (), user_ids: Iterable[int] = (), patient_ids: Iterable[int] = ()) -> None:
    """Delete the sites, users and patients and all their dependent rows; commit. Needs an app context."""
    sites, users, patients = list(site_ids), list(user_ids), list(patient_ids)
    t = db.metadata.tables
    appts = t["appointments"]
    appt_ids = sa.select(appts.c.id).where(
        sa.or_(appts.c.site_id.in_(sites), appts.c.patient_id.in_(patients), appts.c.physician_id.in_(users))
    ).scalar_subquery()
    checklist_ids = sa.select(t["checklists"].c.id).where(t["checklists"].c.appointment_id.in_(appt_ids)).scalar_subquery()
    session = db.session
    dialect = session.get_bind().dialect.name
    audit_triggers = []
    if dialect == "postgresql":
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    elif dialect == "sqlite":
        audit_triggers = session.execute(sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")).all()
        for name, _sql in audit_triggers:
            session.execute(sa.text(f'DROP TRIGGER "{name}"'))
    statements = [
        t["checklist_entries"].update().where(t["checklist_entries"].c.checklist_id.in_(checklist_ids))
        .values(superseded_by_id=None),
        t["reminders"].delete().where(sa.or_(t["reminders"].c.appointment_id.in_(appt_ids),
                                             t["reminders"].c.patient_id.in_(patients), t["reminders"].c.site_id.in_(sites))),
        t["pain_scores"].delete().where(sa.or_(t["pain_scores"].c.appointment_id.in_(appt_ids),
                                               t["pain_scores"].c.patient_id.in_(patients))),
        t["patient_request_times"].delete().where(t["patient_request_times"].c.request_id.in_(
            sa.select(t["patient_requests"].c.id).where(t["patient_requests"].c.patient_id.in_(patients)))),
        t["patient_requests"].delete().where(t["patient_requests"].c.patient_id.in_(patients)),
        t["manage_links"].delete().where(sa.or_(t["manage_links"].c.appointment_id.in_(appt_ids),
                                                t["manage_links"].c.patient_id.in_(patients))),
        t["checklist_entries"].delete().where(t["checklist_entries"].c.checklist_id.in_(checklist_ids)),
        t["checklists"].delete().where(t["checklists"].c.appointment_id.in_(appt_ids)),
        t["injection_records"].delete().where(t["injection_records"].c.patient_id.in_(patients)),
        t["appointment_changes"].delete().where(t["appointment_changes"].c.appointment_id.in_(appt_ids)),
        t["audit_events"].delete().where(sa.or_(t["audit_events"].c.user_id.in_(users),
                                                t["audit_events"].c.patient_id.in_(patients))),
        appts.delete().where(appts.c.id.in_(appt_ids)),
        t["idempotency_keys"].delete().where(t["idempotency_keys"].c.user_id.in_(users)),
        t["api_tokens"].delete().where(t["api_tokens"].c.user_id.in_(users)),
        t["time_off"].delete().where(sa.or_(t["time_off"].c.physician_id.in_(users), t["time_off"].c.site_id.in_(sites))),
        t["working_hours"].delete().where(sa.or_(t["working_hours"].c.physician_id.in_(users),
                                                 t["working_hours"].c.site_id.in_(sites))),
        t["user_sites"].delete().where(sa.or_(t["user_sites"].c.user_id.in_(users), t["user_sites"].c.site_id.in_(sites))),
        t["users"].delete().where(t["users"].c.id.in_(users)),
        t["patient_medications"].delete().where(t["patient_medications"].c.patient_id.in_(patients)),
        t["patients"].delete().where(t["patients"].c.id.in_(patients)),
        t["site_calendar_exceptions"].delete().where(t["site_calendar_exceptions"].c.site_id.in_(sites)),
        t["rooms"].delete().where(t["rooms"].c.site_id.in_(sites)),
        t["schedule_stamps"].delete().where(t["schedule_stamps"].c.site_id.in_(sites)),
        t["sites"].delete().where(t["sites"].c.id.in_(sites)),
    ]
    for statement in statements:
        session.execute(statement)
    # The guard is back before the commit, even when the caller's transaction goes on.
    if dialect == "postgresql":
        session.execute(sa.text("SET LOCAL session_replication_role = origin"))
    for _name, sql in audit_triggers:
        session.execute(sa.text(sql))
    session.commit()
