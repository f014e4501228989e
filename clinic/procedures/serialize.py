"""The checklist's JSON shape (API contract, "The checklist"), shared by the API and the pages."""

from __future__ import annotations

import datetime as dt

from clinic.accounts.models import User
from clinic.procedures.catalog import PAIN_SCALE, Item
from clinic.procedures.services import Case, blocked_reason
from clinic.timeutil import iso_local


def item_json(case: Case, item: Item, language: str, user: User | None = None,
              now: dt.datetime | None = None) -> dict:
    entry = case.entries.get(item.code)
    tz = case.appointment.site.tz
    data: dict = {
        "code": item.code,
        "phase": item.phase,
        "label": item.text(language),
        "type": item.type,
    }
    if item.unit:
        data["unit"] = item.unit
    if item.type == "number":
        data["min"], data["max"] = item.min, item.max
    if item.type == "pain_score":
        data["min"], data["max"] = PAIN_SCALE
    if item.choices:
        data["choices"] = list(item.choices)
        data["choice_labels"] = {c: item.choice_text(c, language) for c in item.choices}
    data |= {
        "roles": list(item.roles),
        "required": case.is_required(item),
        "done": bool(entry and entry.done),
        "value": entry.value if entry else None,
        "done_by": entry.recorded_by_id if entry else None,
        "done_by_name": entry.recorded_by.name if entry else None,
        "done_at": iso_local(entry.recorded_at, tz) if entry else None,
        "override_reason": entry.override_reason if entry else None,
        "amended": bool(entry and entry.is_amendment),
        "amendment_reason": entry.amendment_reason if entry else None,
        "source": item.source,
    }
    if user is not None and now is not None:
        code, _message = blocked_reason(case, item, user, now)
        data["blocked"] = code
    return data


def checklist_json(case: Case, language: str, user: User | None = None, now: dt.datetime | None = None) -> dict:
    cl, tz = case.checklist, case.appointment.site.tz
    phases = []
    for phase in case.template.phases:
        items = case.phase_items(phase.code)
        phases.append({
            "code": phase.code,
            "label": phase.text(language),
            "complete": case.phase_complete(phase.code),
            "items": [item_json(case, i, language, user, now) for i in items],
        })
    data = {
        "appointment_id": case.appointment.id,
        "template": cl.template_code,
        "state": cl.state.value,
        "observation_minutes": case.observation_minutes,
        "procedure_started_at": iso_local(cl.procedure_started_at, tz),
        "procedure_ended_at": iso_local(cl.procedure_ended_at, tz),
        "discharge_from": iso_local(case.discharge_from, tz),
        "discharged_at": iso_local(cl.discharged_at, tz),
        "signed_at": iso_local(cl.signed_at, tz),
        "signed_by": cl.signed_by_id,
        "phases": phases,
    }
    if now is not None and cl.procedure_ended_at is not None and cl.discharged_at is None:
        data["minutes_left"] = case.minutes_left(now)
    return data
