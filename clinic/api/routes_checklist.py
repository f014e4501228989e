"""The procedure-day checklist over the API: read it, record one item (contract: "The checklist")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from flask import jsonify
from flask_babel import get_locale
from pydantic import Field

from clinic.access import current_actor, ensure_site, requires, signed_in_actor
from clinic.api.schema import ABSENT, Answer, Checked, Input, OneOf, operation
from clinic.api.views import bp
from clinic.db import utcnow
from clinic.errors import DomainError
from clinic.procedures import services
from clinic.procedures.catalog import TYPES
from clinic.procedures.models import ChecklistState
from clinic.procedures.serialize import checklist_json, item_json
from clinic.scheduling.models import Appointment
from clinic.tenancy import get_scoped

State = Annotated[str, OneOf(tuple(s.value for s in ChecklistState))]


class Vitals(Answer):
    systolic: int
    diastolic: int
    pulse: int
    spo2: int


Value = bool | float | str | Vitals


class ChecklistItem(Answer):
    """The item."""

    code: str
    phase: str = ABSENT
    label: str
    type: Annotated[str, OneOf(TYPES)]
    unit: str = ABSENT
    min: float = ABSENT
    max: float = ABSENT
    choices: list[str] = ABSENT
    choice_labels: dict[str, str] = ABSENT
    roles: list[Annotated[str, OneOf(("nurse", "physician"))]]
    required: bool
    done: bool
    value: Value | None = Field(description="boolean, number, string or vitals object, by type")
    done_by: int | None = Field(description="id of the user who recorded it")
    done_by_name: str | None = ABSENT
    done_at: dt.datetime | None
    override_reason: str | None = ABSENT
    amended: bool = ABSENT
    amendment_reason: str | None = ABSENT
    source: str = ABSENT
    blocked: str | None = Field(ABSENT, description="why the caller cannot record it now (an error code)")
    state: State = Field(ABSENT, description="the checklist's state (POST answers)")


class ChecklistPhase(Answer):
    code: str = Field(description="a phase of the checklist template (checklists.toml): sign_in, time_out, ...")
    label: str = ABSENT
    complete: bool = ABSENT
    items: list[ChecklistItem]


class Checklist(Answer):
    """The checklist."""

    state: State
    appointment_id: int = ABSENT
    template: str = ABSENT
    observation_minutes: int = ABSENT
    minutes_left: int = Field(ABSENT, description="minutes of observation left before discharge")
    procedure_started_at: dt.datetime | None = ABSENT
    procedure_ended_at: dt.datetime | None = ABSENT
    discharge_from: dt.datetime | None = ABSENT
    discharged_at: dt.datetime | None = ABSENT
    signed_at: dt.datetime | None = ABSENT
    signed_by: int | None = ABSENT
    phases: list[ChecklistPhase]


class ChecklistItemInput(Input):
    value: Value = Field(description="by the item's type")
    override_reason: str | None = Field(None, description="a physician's reason: to pass the monitoring clock, an "
                                        "INR or glucose above the site's limit, a particulate steroid, a 'yes' to "
                                        "fever or infection; the reason for 'no contrast used'")
    amendment_reason: str | None = Field(None, description="required to change a signed record")


RECORD_HELP = ("403 for another role; 409 not_checked_in, out_of_order (details.open), monitoring_time "
               "(details.minutes_left), signed, inr_above_limit (details.inr, details.max: the site "
               "policy's maximum; a physician's override_reason lets it stand), glucose_above_limit "
               "(details.glucose, details.max, where the site policy sets one); 422 invalid_value "
               "(details.value particulate_steroid for a transforaminal route, the nerve-root block "
               "included; no_contrast_used only with a contrast plan and a reason). A 'yes' to "
               "fever_or_infection leaves the item open until a physician records it with a reason.")


def _appointment(appointment_id: int) -> Appointment:
    appointment = get_scoped(Appointment, appointment_id)
    if appointment is None:
        raise DomainError("not_found", f"No appointment with id {appointment_id}.", status=404)
    ensure_site(appointment.site_id)
    return appointment


@bp.route("/v1/appointments/<int:appointment_id>/checklist")
@requires("open_case")
@operation("The appointment's procedure-day checklist (created on first access)", answer=Checklist,
           errors=(401, 403, 404))
def get_checklist(appointment_id: int):
    appointment = _appointment(appointment_id)
    now = utcnow()
    case = services.open_case(appointment, now)
    body = checklist_json(case, str(get_locale()), current_actor(), now)
    return jsonify(body)


def _optional_text(body: Checked[Any], name: str) -> str | None:
    value = body.get(name)
    return value[:1000] if isinstance(value, str) else None


@bp.route("/v1/appointments/<int:appointment_id>/checklist/<item_code>", methods=["POST"])
@requires("record_checklist")
@operation("Record one checklist item", body=ChecklistItemInput, answer=ChecklistItem,
           errors=(401, 403, 404, 409, 422), description=RECORD_HELP)
def record_item(appointment_id: int, item_code: str, body: Checked[ChecklistItemInput]):
    appointment = _appointment(appointment_id)
    # The value is checked by the service against the item's type, after the 403/404/409 checks
    # (the contract's order), and refused as 422 invalid_value: the body's model only describes it.
    user, now = signed_in_actor(), utcnow()
    case, _entry = services.record(
        appointment, item_code[:60], body.data.get("value"), user,
        override_reason=_optional_text(body, "override_reason"),
        amendment_reason=_optional_text(body, "amendment_reason"), now=now,
    )
    answer = item_json(case, case.known_item(item_code), str(get_locale()), user, now)
    answer["state"] = case.checklist.state.value
    return jsonify(answer)
