"""Reminders as people read them: each kind and status in words, each time on the site's clock, and
an appointment's messages for the pages of other packages (the appointment page lists them)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.sansio.app import App
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from clinic.dates import day_and_time
from clinic.extensions import db
from clinic.reminders.models import Reminder
from clinic.timeutil import parse_instant

KIND_LABELS = {
    "confirmation": _l("Confirmation of your appointment"), "rescheduled": _l("Your new time"),
    "cancellation": _l("Cancellation notice"), "medication_stop": _l("When to pause a medicine"),
    "week_before": _l("Reminder one week before"), "day_before": _l("Reminder the day before"),
    "fasting": _l("Eating and drinking before sedation"), "aftercare_evening": _l("Care on the evening after"),
    "aftercare_day1": _l("The day after"), "aftercare_day3": _l("Three days after"),
    "pain_score_day7": _l("How are you after a week?"), "followup_day14": _l("How are you after two weeks?"),
    "glucose_check": _l("Blood sugar after the appointment"), "medication_restart": _l("When to restart a medicine"),
    "medication_decision": _l("Ask your prescriber about a medicine"), "aftercare_day3_rfa": _l("Three days after"),
    "rearrange": _l("Your appointment is to be re-arranged"),
    "waitlist_offer": _l("A time has freed up"),
}
STATUS_LABELS = {
    "planned": _l("to be sent"), "sending": _l("being sent"), "sent": _l("sent"), "retrying": _l("to be sent again"),
    "failed": _l("not delivered"), "cancelled": _l("cancelled"), "skipped": _l("not sent"),
}

# Why a message was closed unsent, as the planner and the dispatcher store it (their own words).
REASON_LABELS = {
    "appointment cancelled": _l("the appointment was cancelled"), "rescheduled": _l("the appointment was moved"),
    "sent once": _l("already sent once"), "no-show": _l("the patient did not come"),
    "no-show undone": _l("the no-show was undone"), "to reschedule": _l("the appointment is to be re-arranged"),
    "unsent at the procedure's start": _l("not sent before the procedure started"),
    "out of date: its advice is for a day that has passed": _l("out of date: its advice was for a day that has passed"),
    "patient stopped non-essential messages": _l("the patient stopped non-essential messages"),
    "patient stopped text messages": _l("the patient stopped text messages"),
    "patient answered STOP": _l("the patient answered STOP"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, _l("Message")))


def status_label(status) -> str:
    value = getattr(status, "value", status)
    return str(STATUS_LABELS.get(value, value))


def reason_label(reason: str | None) -> str | None:
    """A stored reason in the reader's words; None for a reason no table knows (a relay's own error,
    which the outbox shows as it came, marked as the relay's text)."""
    found = REASON_LABELS.get(reason or "")
    return str(found) if found is not None else None


def day_time(instant, site) -> str:
    """An instant (or its ISO text) on the site's clock, in the reader's language."""
    if not instant:
        return ""
    if isinstance(instant, str):
        instant = parse_instant(instant)
    return day_and_time(instant, site.tz, str(get_locale()))


def appointment_reminders(appointment) -> list[Reminder]:
    """The appointment's messages, planned and past, in send order."""
    return list(db.session.scalars(sa.select(Reminder).where(Reminder.appointment_id == appointment.id)
                                   .order_by(Reminder.send_at, Reminder.id)))


def register(app: App) -> None:
    app.jinja_env.filters["day_time"] = day_time
    app.jinja_env.globals["reminder_kind"] = kind_label
    app.jinja_env.globals["reminder_status"] = status_label
    app.jinja_env.globals["reminder_reason"] = reason_label
    app.jinja_env.globals["appointment_reminders"] = appointment_reminders
