"""The JSON shape of an appointment (docs/api.md, "Appointment"), times in the site's offset."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from clinic.extensions import db
from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment
from clinic.timeutil import iso_local


def _reminders_by_appointment(ids: list[int]) -> dict[int, list[Reminder]]:
    found: dict[int, list[Reminder]] = defaultdict(list)
    if ids:
        rows = db.session.execute(
            sa.select(Reminder).where(Reminder.appointment_id.in_(ids)).order_by(Reminder.send_at, Reminder.id)
        ).scalars()
        for row in rows:
            if row.appointment_id is not None:   # always: the query asked for these appointments
                found[row.appointment_id].append(row)
    return found


def appointment_json(appt: Appointment, reminders: list[Reminder] | None = None, room_name: str | None = None) -> dict:
    """The appointment; its reminders and its room's name are read unless the caller has them."""
    tz = appt.site.tz
    if reminders is None:
        reminders = _reminders_by_appointment([appt.id])[appt.id]
    return {
        "id": appt.id,
        "patient_id": appt.patient_id,
        "status": appt.status.value,
        "start": iso_local(appt.start_at, tz),
        "end": iso_local(appt.end_at, tz),
        "location": appt.site.code,
        "procedure": appt.procedure_code,
        "physician_id": appt.physician_id,
        "room": room_name if room_name is not None else appt.room.name,
        "room_id": appt.room_id,
        "region": appt.region,
        "side": appt.side,
        "levels": list(appt.levels or []),
        "sedation": bool(appt.sedation),
        "needs_reschedule": bool(appt.needs_reschedule),
        "warnings": list(appt.warnings or []),
        "medication_holds": list(appt.medication_holds or []),
        "preparation": list(appt.preparation or []),
        "reminders": [
            {"kind": r.kind, "channel": r.channel, "send_at": iso_local(r.send_at, tz), "status": r.status.value}
            for r in reminders
        ],
        "screening": dict(appt.screening or {}),
        "override_reason": appt.override_reason,
        "cancel_reason": appt.cancel_reason,
        "ical_sequence": appt.ical_sequence,
    }


def reminder_rows(appointment_id: int) -> list[Reminder]:
    return _reminders_by_appointment([appointment_id])[appointment_id]


def reminder_json(row: Reminder, tz) -> dict:
    """One outbox row as the contract's reminders route shows it (times in the site's offset)."""
    return {"id": row.id, "kind": row.kind, "channel": row.channel, "send_at": iso_local(row.send_at, tz),
            "status": row.status.value, "sent_at": iso_local(row.sent_at, tz) if row.sent_at else None,
            "attempts": row.attempts}


def appointments_json(appts: list[Appointment]) -> list[dict]:
    """Several appointments with their reminders loaded in one query."""
    reminders = _reminders_by_appointment([a.id for a in appts])
    return [appointment_json(a, reminders.get(a.id, [])) for a in appts]
