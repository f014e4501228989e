"""The patients' badge of the reminders: a message to them failed lately (the same two weeks as the
home page's line of messages not delivered); it links to the messages on the patient page."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from clinic.db import utcnow
from clinic.extensions import db
from clinic.patients.badges import Badge
from clinic.reminders.home_tasks import RECENT
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.tenancy import in_scope


def undelivered(patient_ids: Collection[int]) -> set[int]:
    """Those of the patients with a message that failed in the last two weeks, within the reader's organisations."""
    stmt = sa.select(Reminder.patient_id).distinct().where(
        Reminder.patient_id.in_(list(patient_ids)), Reminder.status == ReminderStatus.FAILED,
        Reminder.send_at >= utcnow() - RECENT)
    return set(db.session.scalars(in_scope(stmt, Reminder)))


BADGE = Badge(name="undelivered", order=10, label=_l("Message not delivered"), permission="view_schedule",
              anchor="panel-messages", find=undelivered)
