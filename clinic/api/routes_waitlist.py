"""The waiting list over the API: put a patient on it, and read a site's list in order of waiting
with the freed times that match each entry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from flask import jsonify
from pydantic import ConfigDict, Field

from clinic.access import current_actor, requires
from clinic.api.routes_patients import scoped_patient
from clinic.api.routes_reference import site_by_code
from clinic.api.schema import ABSENT, Answer, Checked, Day, Id, Input, OneOf, QueryArgs, given, operation
from clinic.api.views import bp
from clinic.audit.services import record_shown
from clinic.extensions import db
from clinic.sites.models import Room
from clinic.timeutil import iso_local
from clinic.waitlist import models, services
from clinic.waitlist.models import TIMES_OF_DAY, EntryStatus

TIMES_HELP = "Starts before noon (morning) or from noon (afternoon), local time; absent: any"


class WaitingEntryInput(Input):
    model_config = ConfigDict(extra="forbid")

    patient_id: Id
    location: str = Field(min_length=1, max_length=40, pattern=r"\S", description="The site's code")
    procedure: str = Field(min_length=1, max_length=40, pattern=r"\S", description="A procedure code of the catalog")
    physician_id: Id | None = Field(None, description="Only this physician; absent: any")
    from_: Day | None = Field(None, alias="from", description="First local date wanted; absent: from today")
    to: Day | None = Field(None, description="Last local date wanted; absent: up to the booking horizon")
    times: Annotated[str, OneOf(TIMES_OF_DAY)] | None = Field(None, description=TIMES_HELP)


class WaitingOffer(Answer):
    start: dt.datetime
    end: dt.datetime = ABSENT
    physician_id: int
    room: str
    room_id: int = ABSENT


class WaitingEntry(Answer):
    """The entry, with no offer yet."""

    id: int
    patient_id: int
    location: str
    procedure: str
    physician_id: int | None = ABSENT
    from_: dt.date | None = Field(ABSENT, alias="from")
    to: dt.date | None = ABSENT
    times: Annotated[str, OneOf(TIMES_OF_DAY)] | None = ABSENT
    status: Annotated[str, OneOf(tuple(s.value for s in EntryStatus))]
    created_at: dt.datetime = ABSENT
    offers: list[WaitingOffer] = Field(description="Starts freed since the entry was made (cancellation, reschedule, "
                                       "time off removed, new working hours) that match it and are still free, in "
                                       "time order")


class WaitingEntries(Answer):
    """The open entries."""

    entries: list[WaitingEntry]


class SiteQuery(QueryArgs):
    location: str = Field(min_length=1, description="The site's code")


def entry_json(entry: models.WaitingEntry, offers: list[services.Offer], rooms: dict[int, str]) -> dict:
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
@operation("Put a patient on a site's waiting list", body=WaitingEntryInput, answer=WaitingEntry, status=201,
           errors=(401, 403, 404, 422))
def add_to_waiting_list(body: Checked[WaitingEntryInput]):
    code = body.get("location")
    site = site_by_code(code) if code else None
    patient = scoped_patient(body.get("patient_id"), site)
    inp = body.done()
    entry = services.add_entry(given(patient), given(site), inp.procedure, current_actor(), physician_id=inp.physician_id,
                               from_date=inp.from_, to_date=inp.to, time_of_day=inp.times)
    return jsonify(entry_json(entry, [], {})), 201


@bp.route("/v1/waiting-list")
@requires("waiting_list")
@operation("A site's waiting list, in order of waiting, with the freed times matching each entry", query=SiteQuery,
           answer=WaitingEntries, errors=(401, 403, 404, 422))
def waiting_list(args: Checked[SiteQuery]):
    site = site_by_code(args.done().location)
    entries = list(db.session.scalars(services.waiting_at(site)))
    rooms = dict(db.session.execute(sa.select(Room.id, Room.name).where(Room.site_id == site.id)).tuples().all())
    record_shown("waiting_list.read", [(e.patient_id, None) for e in entries], {"site": site.code})
    offers = services.offers_for_each(entries)
    return jsonify({"entries": [entry_json(e, offers[e.id], rooms) for e in entries]})
