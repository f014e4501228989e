"""The home page's line of the reminders: messages that did not reach their patient lately."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from clinic.db import utcnow
from clinic.extensions import db
from clinic.navigation import HomeTask
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.tenancy import in_scope

# Failures older than this are history, not a call to make (the outbox keeps them all).
RECENT = dt.timedelta(days=14)


def _failed(site_ids: set[int] | None) -> tuple[int, str]:
    stmt = sa.select(sa.func.count()).select_from(Reminder).where(
        Reminder.status == ReminderStatus.FAILED, Reminder.send_at >= utcnow() - RECENT)
    return int(db.session.scalar(in_scope(stmt, Reminder, sites=Reminder.site_id, site_ids=site_ids)) or 0), ""


TASK = HomeTask(name="failed_deliveries", label=_l("Messages not delivered in the last two weeks"),
                permission="view_schedule", link_permission="manage_reminders", measure=_failed,
                endpoint="reminders.outbox", order=40)
