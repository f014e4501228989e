"""Planning reminder rows from the schedule, on the appointment signals.

Receivers run inside the transaction that changes the appointment: they only add or update rows
in the same session, so the change and its reminders commit (or roll back) together. Nothing is
sent from here; dispatchers send the rows after the commit.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached

from clinic.catalog import get_procedure
from clinic.catalog.neutral import messages_data
from clinic.db import utcnow
from clinic.extensions import db
from clinic.reminders.models import PENDING_STATUSES, Reminder, ReminderStatus
from clinic.reminders.schedule import Rule, local_at, out_of_quiet_hours, rule, rules
from clinic.scheduling import signals
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.timeutil import local_to_utc, parse_instant

AFTER_ANCHORS = ("end", "medication_restart")


# ---------------------------------------------------------------- send times


def _parse_local(value: str | None, tz) -> tuple[dt.date | None, dt.datetime | None]:
    """A hold's date field: a local date (YYYY-MM-DD) or an instant with an offset."""
    if not value:
        return None, None
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value), None
        instant = parse_instant(value)
        return instant.astimezone(tz).date(), instant
    except ValueError:
        return None, None


def _stop_time(r: Rule, hold: dict, tz) -> dt.datetime | None:
    """The morning of the last day the drug may be taken: the day before a stop date (the first day
    without it), or the day of a stop instant (the morning before when the instant is earlier)."""
    day, instant = _parse_local(hold.get("stop_on"), tz)
    if day is None:
        return None
    if instant is None:
        day -= dt.timedelta(days=1)
    at = local_to_utc(day, r.time_of_day, tz)
    if instant is not None and at >= instant:
        at = local_to_utc(day - dt.timedelta(days=1), r.time_of_day, tz)
    return at


def _restart_time(hold: dict, appointment: Appointment, end: dt.datetime, tz) -> dt.datetime | None:
    _day, instant = _parse_local(hold.get("restart_after"), tz)
    if instant is None:
        return None
    # Restart times were computed from the planned end; follow the actual end when it differs.
    return instant + (end - appointment.end_at)


def _raw_time(r: Rule, appointment: Appointment, end: dt.datetime, hold: dict | None) -> dt.datetime | None:
    tz = appointment.site.tz
    if r.anchor == "start":
        return local_at(appointment.start_at, r.days, r.time_of_day, tz)
    if r.anchor == "end":
        at = local_at(end, r.days, r.time_of_day, tz)
        return max(at, end + dt.timedelta(minutes=r.not_before_end_minutes))
    if r.anchor == "medication_stop":
        return _stop_time(r, hold or {}, tz)
    if r.anchor == "medication_restart":
        return _restart_time(hold or {}, appointment, end, tz)
    if r.anchor == "medication_decision":   # a shared decision: ask the prescriber, days before the start
        return local_at(appointment.start_at, r.days, r.time_of_day, tz) if (hold or {}).get("action") == "shared_decision" \
            else None
    return None


def send_time(r: Rule, appointment: Appointment, end: dt.datetime, hold: dict | None, now: dt.datetime
              ) -> dt.datetime | None:
    """When a rule's row goes out (UTC), or None when it must not be planned."""
    at = _raw_time(r, appointment, end, hold)
    if at is None:
        return None
    site = appointment.site
    at = out_of_quiet_hours(at, site.tz, site.quiet_start, site.quiet_end)
    if r.phase == "before":
        if at <= now or at >= appointment.start_at:
            return None  # already passed at booking, or would arrive after the start
        return at
    return max(at, now)


# ---------------------------------------------------------------- which rules apply


def _applies(r: Rule, appointment: Appointment, now: dt.datetime) -> bool:
    patient = appointment.patient
    if not r.essential and patient.non_essential_opt_out:
        return False
    if r.when == "sedation" and not appointment.sedation:
        return False
    if r.when and r.when != "sedation" and r.when not in (patient.conditions or []):
        return False
    if not _follows_procedure(r, appointment.procedure_code):
        return False
    # "7 days before" only when booked further ahead than that.
    return r.min_lead_days is None or appointment.start_at - now > dt.timedelta(days=r.min_lead_days)


def _follows_procedure(r: Rule, code: str) -> bool:
    """After-care follows the procedure: steroid texts only after a steroid, own timelines per procedure."""
    procedure = get_procedure(code)
    if r.steroid is not None and (procedure is None or procedure.steroid != r.steroid):
        return False
    if r.procedures and code not in r.procedures:
        return False
    return code not in r.except_procedures


def _holds(appointment: Appointment) -> list[dict]:
    return [h for h in (appointment.medication_holds or []) if isinstance(h, dict) and h.get("drug")]


def _row(appointment: Appointment, r: Rule, at: dt.datetime, extra: dict | None = None) -> Reminder:
    payload = {"phase": r.phase, "anchor": r.anchor, **(extra or {})}
    if r.moment:
        payload["moment"] = r.moment
    row = Reminder(
        appointment_id=appointment.id, patient_id=appointment.patient_id, site_id=appointment.site_id,
        kind=r.kind, essential=r.essential, language=appointment.patient.language or "en",
        send_at=at, next_attempt_at=at, status=ReminderStatus.PLANNED, attempts=0, payload=payload,
    )
    db.session.add(row)
    return row


def texts_patient(patient) -> bool:
    """The patient agreed to text messages and has a number in E.164."""
    return bool(patient.sms_opt_in and (patient.phone or "").startswith("+"))


def _rows(appointment: Appointment, r: Rule, at: dt.datetime, extra: dict | None = None) -> list[Reminder]:
    """The e-mail row, and its SMS twin for the kinds that also go by SMS (messages.toml [sms])."""
    rows = [_row(appointment, r, at, extra)]
    if r.kind in messages_data()["sms"]["kinds"] and texts_patient(appointment.patient):
        twin = _row(appointment, r, at, extra)
        twin.channel = "sms"
        rows.append(twin)
    return rows


def plan_schedule(appointment: Appointment, now: dt.datetime | None = None) -> list[Reminder]:
    """Rows for every rule of the schedule that applies to this appointment."""
    now = now or utcnow()
    end = appointment.actual_end_at or appointment.end_at
    rows = []
    for r in rules().values():
        if r.phase == "notice" or not _applies(r, appointment, now):
            continue
        if r.anchor in ("medication_stop", "medication_restart", "medication_decision"):
            for index, hold in enumerate(_holds(appointment)):
                at = send_time(r, appointment, end, hold, now)
                if at is not None:
                    rows += _rows(appointment, r, at, {"hold": index, "drug": hold["drug"]})
            continue
        at = send_time(r, appointment, end, None, now)
        if at is not None:
            rows += _rows(appointment, r, at)
    return rows


def plan_notice(appointment: Appointment, kind: str, now: dt.datetime | None = None) -> Reminder:
    """A notice due now (a confirmation, a cancellation), or at the end of the site's quiet hours."""
    site = appointment.site
    at = out_of_quiet_hours(now or utcnow(), site.tz, site.quiet_start, site.quiet_end)
    return _row(appointment, rule(kind), at)


def pending_rows(appointment_id: int, statuses=PENDING_STATUSES) -> list[Reminder]:
    return list(db.session.execute(
        sa.select(Reminder).where(Reminder.appointment_id == appointment_id, Reminder.status.in_(statuses))
        .order_by(Reminder.id)
    ).scalars())


def close_pending(appointment: Appointment, status: ReminderStatus, phase: str | None = None,
                  reason: str = "", kinds: tuple[str, ...] | None = None) -> int:
    """Cancel or skip the rows not yet sent (all of them, one phase's, or some kinds'); a cancellation
    notice stays. Rows being sent are closed too: a dispatcher that crashed with the claim never
    sends them later."""
    count = 0
    for row in pending_rows(appointment.id, (*PENDING_STATUSES, ReminderStatus.SENDING)):
        if row.kind == "cancellation" or (kinds is not None and row.kind not in kinds):
            continue
        if phase is None or (row.payload or {}).get("phase") == phase:
            row.status = status
            row.last_error = reason or None
            count += 1
    return count


# ---------------------------------------------------------------- signal receivers


# One row per reminder would be one parameter per column and row (a booking plans about 8 rows of
# 14 columns): psycopg parses a statement of more than 50 parameters again at every execution and
# never prepares it. One array per column keeps the statement's text and its 12 parameters fixed.
_INSERT_PLANNED = sa.text(
    "INSERT INTO reminders (appointment_id, patient_id, organisation_id, site_id, kind, channel, essential,"
    " language, send_at, next_attempt_at, status, attempts, payload, created_at) "
    "SELECT :appointment_id, :patient_id, :organisation_id, :site_id, r.kind, r.channel, r.essential, r.language,"
    " r.send_at, r.next_attempt_at, :status, 0, CAST(r.payload AS json), :created_at "
    "FROM unnest(CAST(:kinds AS varchar[]), CAST(:channels AS varchar[]), CAST(:essentials AS boolean[]),"
    " CAST(:languages AS varchar[]), CAST(:send_ats AS timestamptz[]), CAST(:next_ats AS timestamptz[]),"
    " CAST(:payloads AS text[])) WITH ORDINALITY AS r(kind, channel, essential, language, send_at, next_attempt_at,"
    " payload, n) ORDER BY r.n RETURNING id, kind, channel")


def _store_planned(appointment: Appointment, rows: list[Reminder]) -> None:
    """Write a new appointment's planned rows: on PostgreSQL in one statement of one array per
    column, the rows then joining the session as stored (with their ids); elsewhere by the flush.
    Should the transaction be rolled back, they stay in the session, their rows gone (a flush's
    rows would have left it), until the session ends with its request or unit of work: nothing
    reads a booking's reminders after its rollback, and their ids are never given again (a
    sequence does not roll back)."""
    session = db.session
    fresh = [row for row in rows if sa.inspect(row).pending]
    if session.get_bind().dialect.name != "postgresql" or not fresh or any(
            row.status != ReminderStatus.PLANNED or row.attempts for row in fresh):
        session.flush()
        return
    if any(row.send_at.tzinfo is None or row.next_attempt_at.tzinfo is None for row in fresh):
        raise ValueError("naive datetime given where an aware UTC instant is required")
    now = utcnow()
    for row in fresh:
        session.expunge(row)
        row.organisation_id, row.created_at = appointment.organisation_id, now
        row.channel = row.channel or "email"
        row.claimed_by = row.claimed_at = row.sent_at = row.message_id = row.last_error = None
    stored = session.execute(_INSERT_PLANNED, {
        "appointment_id": appointment.id, "patient_id": appointment.patient_id,
        "organisation_id": appointment.organisation_id, "site_id": appointment.site_id,
        "status": ReminderStatus.PLANNED.value, "created_at": now,
        "kinds": [r.kind for r in fresh], "channels": [r.channel for r in fresh],
        "essentials": [bool(r.essential) for r in fresh], "languages": [r.language for r in fresh],
        "send_ats": [r.send_at for r in fresh], "next_ats": [r.next_attempt_at for r in fresh],
        "payloads": [json.dumps(r.payload or {}) for r in fresh]}).all()
    if [(kind, channel) for _, kind, channel in stored] != [(r.kind, r.channel) for r in fresh]:
        raise RuntimeError("the planned reminders came back in another order than they were written")
    for row, (row_id, _, _) in zip(fresh, stored, strict=True):
        row.id = row_id
        make_transient_to_detached(row)
        session.add(row)
    session.flush()


def on_booked(appointment: Appointment, **_kw) -> list[Reminder]:
    """The confirmation and the schedule; the rows are returned to the booking, which answers with them."""
    now = utcnow()
    rows = [plan_notice(appointment, "confirmation", now), *plan_schedule(appointment, now)]
    _store_planned(appointment, rows)
    return rows


def on_rescheduled(appointment: Appointment, old_start_at: dt.datetime | None = None, **_kw) -> None:
    """One "your appointment has moved" notice (with the updated invite), then the new schedule."""
    close_pending(appointment, ReminderStatus.CANCELLED, reason="rescheduled")
    now = utcnow()
    notice = plan_notice(appointment, "rescheduled", now)
    if old_start_at is not None:
        notice.payload = {**notice.payload, "previous_start": old_start_at.isoformat()}
    plan_schedule(appointment, now)
    db.session.flush()


def on_preparation_resent(appointment: Appointment, **_kw) -> None:
    """The confirmation again (preparation sheet and invite), asked from the appointment page."""
    plan_notice(appointment, "confirmation")
    db.session.flush()


def on_cancelled(appointment: Appointment, **_kw) -> None:
    close_pending(appointment, ReminderStatus.CANCELLED, reason="appointment cancelled")
    already = db.session.execute(
        sa.select(sa.func.count(Reminder.id)).where(
            Reminder.appointment_id == appointment.id, Reminder.kind == "cancellation",
            Reminder.status != ReminderStatus.CANCELLED)
    ).scalar_one()
    if not already:
        plan_notice(appointment, "cancellation")
    db.session.flush()


def _rearrange(appointment: Appointment, reason: str) -> None:
    """The appointment will not happen as planned: nothing more prepares the patient for it (the
    blood-thinner stop above all), and one message says it will be re-arranged and that their
    medicines go on until they are told otherwise."""
    close_pending(appointment, ReminderStatus.CANCELLED, phase="before", reason=reason)
    close_pending(appointment, ReminderStatus.CANCELLED, kinds=("rearrange",), reason="sent once")
    plan_notice(appointment, "rearrange")


def on_status_changed(appointment: Appointment, new_status=None, old_status=None, **_kw) -> None:
    if new_status == AppointmentStatus.NO_SHOW:
        close_pending(appointment, ReminderStatus.SKIPPED, phase="after", reason="no-show")
        _rearrange(appointment, "no-show")
    elif new_status == AppointmentStatus.BOOKED and old_status == AppointmentStatus.NO_SHOW:
        # Undone the same day: the re-arrange message is withdrawn if still unsent, after-care planned again.
        close_pending(appointment, ReminderStatus.CANCELLED, kinds=("rearrange",), reason="no-show undone")
        plan_schedule(appointment)
    elif new_status == AppointmentStatus.CANCELLED:
        close_pending(appointment, ReminderStatus.CANCELLED, reason="appointment cancelled")
    db.session.flush()


def on_needs_reschedule(appointment: Appointment, **_kw) -> None:
    """A booking stranded by a change of hours, time off or the calendar."""
    _rearrange(appointment, "to reschedule")
    db.session.flush()


def on_procedure_ended(appointment: Appointment, ended_at: dt.datetime | None = None, **_kw) -> None:
    """Re-anchor the after-care rows not yet sent on the procedure's actual end."""
    end = ended_at or appointment.actual_end_at or utcnow()
    now = utcnow()
    for row in pending_rows(appointment.id, (ReminderStatus.PLANNED,)):
        payload = row.payload or {}
        r = rules().get(row.kind)
        if r is None or r.anchor not in AFTER_ANCHORS:
            continue
        hold = None
        if r.anchor == "medication_restart":
            holds = _holds(appointment)
            index = payload.get("hold", 0)
            hold = holds[index] if index < len(holds) else None
        at = send_time(r, appointment, end, hold, now)
        if at is not None:
            row.send_at = row.next_attempt_at = at
            row.payload = {**payload, "anchored_on": end.isoformat()}
    db.session.flush()


def connect() -> None:
    signals.appointment_booked.connect(on_booked)
    signals.appointment_rescheduled.connect(on_rescheduled)
    signals.appointment_cancelled.connect(on_cancelled)
    signals.appointment_status_changed.connect(on_status_changed)
    signals.appointment_needs_reschedule.connect(on_needs_reschedule)
    signals.appointment_procedure_ended.connect(on_procedure_ended)
    signals.appointment_preparation_resent.connect(on_preparation_resent)
