"""The procedure-day checklist over the API: read it, record one item (contract: "The checklist")."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import get_locale

from clinic.access import current_actor, ensure_site, requires, signed_in_actor
from clinic.api.views import bp
from clinic.db import utcnow
from clinic.errors import DomainError
from clinic.procedures import services
from clinic.procedures.serialize import checklist_json, item_json
from clinic.scheduling.models import Appointment
from clinic.tenancy import get_scoped


def _appointment(appointment_id: int) -> Appointment:
    appointment = get_scoped(Appointment, appointment_id)
    if appointment is None:
        raise DomainError("not_found", f"No appointment with id {appointment_id}.", status=404)
    ensure_site(appointment.site_id)
    return appointment


@bp.route("/v1/appointments/<int:appointment_id>/checklist")
@requires("open_case")
def get_checklist(appointment_id: int):
    appointment = _appointment(appointment_id)
    now = utcnow()
    case = services.open_case(appointment, now)
    body = checklist_json(case, str(get_locale()), current_actor(), now)
    return jsonify(body)


def _optional_text(data: dict, name: str) -> str | None:
    value = data.get(name)
    return value[:1000] if isinstance(value, str) else None


@bp.route("/v1/appointments/<int:appointment_id>/checklist/<item_code>", methods=["POST"])
@requires("record_checklist")
def record_item(appointment_id: int, item_code: str):
    appointment = _appointment(appointment_id)
    # A malformed body is refused by the service after the 403/404/409 checks (the contract's order).
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    user, now = signed_in_actor(), utcnow()
    case, _entry = services.record(
        appointment, item_code[:60], data.get("value"), user,
        override_reason=_optional_text(data, "override_reason"),
        amendment_reason=_optional_text(data, "amendment_reason"), now=now,
    )
    body = item_json(case, case.known_item(item_code), str(get_locale()), user, now)
    body["state"] = case.checklist.state.value
    return jsonify(body)
