"""Physicians' time off over the API, for HR and rota systems (admin only)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import jsonify

from clinic.access import requires, signed_in_actor
from clinic.api.parsing import Body, given
from clinic.api.routes_reference import site_by_code
from clinic.api.views import bp
from clinic.errors import ValidationFailed
from clinic.scheduling import staffing
from clinic.timeutil import iso_local


@bp.route("/v1/physicians/<int:physician_id>/time-off", methods=["POST"])
@requires("manage_staffing")
def add_time_off(physician_id: int):
    physician = staffing.get_physician(physician_id)
    body = Body()
    start, end = body.instant("start"), body.instant("end")
    reason = body.string("reason", required=False, max_length=200) or ""
    code = body.string("location", required=False, max_length=40)
    confirm = body.boolean("confirm", default=False)
    body.done()
    start, end = given(start), given(end)
    site = site_by_code(code, required=False)
    if start >= end:
        raise ValidationFailed({"end": "The end must come after the start."})
    actor = signed_in_actor()
    time_off = staffing.add_time_off(physician, start, end, reason, site, confirm=bool(confirm), user_id=actor.id)
    tz = site.tz if site else physician.sites[0].tz if physician.sites else ZoneInfo("UTC")
    return jsonify({
        "id": time_off.id, "start": iso_local(time_off.start_at, tz), "end": iso_local(time_off.end_at, tz),
        "physician_id": physician.id, "location": site.code if site else None, "reason": time_off.reason,
    }), 201
