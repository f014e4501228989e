"""The waiting list over the API: put a patient on it, and read a site's list in order of waiting
with the freed times that match each entry."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request

from clinic.access import current_actor, requires
from clinic.api.parsing import Body, given
from clinic.api.routes_patients import body_patient
from clinic.api.routes_reference import site_by_code
from clinic.api.views import bp
from clinic.audit.services import record_shown
from clinic.extensions import db
from clinic.sites.models import Room
from clinic.timeutil import iso_local
from clinic.waitlist import services
from clinic.waitlist.models import TIMES_OF_DAY, WaitingEntry


def entry_json(entry: WaitingEntry, offers: list[services.Offer], rooms: dict[int, str]) -> dict:
    tz = entry.site.tz
    return {
        "id": entry.id, "patient_id": entry.patient_id, "location": entry.site.code,
        "procedure": entry.procedure_code, "physician_id": entry.physician_id,
        "from": entry.from_date.isoformat() if entry.from_date else None,
        "to": entry.to_date.isoformat() if entry.to_date else None,
        "times": entry.time_of_day, "status": entry.status.value, "created_at": iso_local(entry.created_at, tz),
        "offers": [{"start": iso_local(o.start_at, tz), "end": iso_local(o.end_at, tz), "physician_id": o.physician_id,
                    "room": rooms.get(o.room_id), "room_id": o.room_id} for o in offers],
    }


@bp.route("/v1/waiting-list", methods=["POST"])
@requires("waiting_list")
def add_to_waiting_list():
    body = Body()
    code = body.string("location", max_length=40)
    site = site_by_code(code) if code else None
    patient = body_patient(body, site)
    procedure = body.string("procedure", max_length=40)
    physician_id = body.integer("physician_id", required=False, minimum=1, maximum=2**31 - 1)
    first, last = body.date("from", required=False), body.date("to", required=False)
    times = body.string("times", required=False, max_length=10, choices=TIMES_OF_DAY)
    unknown = sorted(set(body.data) - {"location", "patient_id", "procedure", "physician_id", "from", "to", "times"})
    for name in unknown:
        body.errors[name] = "Unknown field."
    body.done()
    entry = services.add_entry(given(patient), given(site), procedure, current_actor(), physician_id=physician_id,
                               from_date=first, to_date=last, time_of_day=times)
    return jsonify(entry_json(entry, [], {})), 201


@bp.route("/v1/waiting-list")
@requires("waiting_list")
def waiting_list():
    site = site_by_code(request.args.get("location"))
    entries = list(db.session.scalars(services.waiting_at(site)))
    rooms = dict(db.session.execute(sa.select(Room.id, Room.name).where(Room.site_id == site.id)).tuples().all())
    record_shown("waiting_list.read", [(e.patient_id, None) for e in entries], {"site": site.code})
    return jsonify({"entries": [entry_json(e, services.offers_for(e), rooms) for e in entries]})
