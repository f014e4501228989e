"""Physicians' time off over the API, for HR and rota systems (admin only)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import jsonify
from pydantic import Field

from clinic.access import requires, signed_in_actor
from clinic.api.routes_reference import site_by_code
from clinic.api.schema import ABSENT, Answer, Checked, Input, Instant, operation
from clinic.api.views import bp
from clinic.errors import ValidationFailed
from clinic.scheduling import staffing
from clinic.timeutil import iso_local


class TimeOffInput(Input):
    start: Instant
    end: Instant
    reason: str | None = Field(None, max_length=200)
    location: str | None = Field(None, max_length=40, description="A site code; absent: every site")
    confirm: bool | None = Field(None, description="Save even over booked appointments, flagging them needs_reschedule "
                                                   "(absent: false)")


class TimeOff(Answer):
    """The time off."""

    id: int
    start: dt.datetime
    end: dt.datetime
    physician_id: int = ABSENT
    location: str | None = Field(None)
    reason: str = ABSENT


@bp.route("/v1/physicians/<int:physician_id>/time-off", methods=["POST"])
@requires("manage_staffing")
@operation("Give a physician time off (admin)", body=TimeOffInput, answer=TimeOff, status=201,
           errors=(401, 403, 404, 409, 422),
           description="409 appointments_affected, with details.appointments (their ids), when booked appointments "
                       "fall inside, unless confirm is true: then 201 and those appointments answer "
                       "needs_reschedule: true.")
def add_time_off(physician_id: int, body: Checked[TimeOffInput]):
    physician = staffing.get_physician(physician_id)
    inp = body.done()
    site = site_by_code(inp.location, required=False)
    if inp.start >= inp.end:
        raise ValidationFailed({"end": "The end must come after the start."})
    actor = signed_in_actor()
    time_off = staffing.add_time_off(physician, inp.start, inp.end, inp.reason or "", site, confirm=bool(inp.confirm),
                                     user_id=actor.id)
    tz = site.tz if site else physician.sites[0].tz if physician.sites else ZoneInfo("UTC")
    return jsonify({
        "id": time_off.id, "start": iso_local(time_off.start_at, tz), "end": iso_local(time_off.end_at, tz),
        "physician_id": physician.id, "location": site.code if site else None, "reason": time_off.reason,
    }), 201
