"""Availability and appointments over the API: find slots, book, reschedule, cancel, check in.

Errors follow the contract's order: 401, 403 (role, then site), 404, 409, 422.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from clinic.access import allows, current_actor, ensure_site, requires, signed_in_actor
from clinic.accounts.models import Role, User
from clinic.api import appointment_models as schemas
from clinic.api.appointment_json import appointment_json, appointments_json, reminder_json, reminder_rows
from clinic.api.routes_patients import scoped_patient
from clinic.api.routes_reference import site_by_code
from clinic.api.schema import Checked, given, operation
from clinic.api.views import bp
from clinic.catalog import get_procedure
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError, ValidationFailed, error_body
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.reminders.models import Reminder
from clinic.scheduling import reads, services, stamps, status, writes
from clinic.scheduling.availability import FreeStart, free_starts, start_minutes, window_edges
from clinic.scheduling.locks import ConcurrentChange
from clinic.scheduling.models import Appointment, AppointmentStatus, IdempotencyKey, WorkingHours
from clinic.scheduling.reference import seen_reference
from clinic.sites.models import Site
from clinic.timeutil import iso_local_at
from clinic.waitlist.services import waits_option

# ---------------------------------------------------------------- helpers


def _physician_at(site: Site, physician_id: int | None, field: str = "physician_id") -> None:
    if physician_id is None:
        return
    user = db.session.get(User, physician_id)
    if user is None or user.role != Role.PHYSICIAN or not user.can_access_site(site.id):
        raise ValidationFailed({field: "Not a physician of this location."})


def _appointment(appointment_id: int, action: str = "appointment.read") -> Appointment:
    appt = reads.get_appointment(appointment_id, action)
    if appt is None:
        raise DomainError("not_found", f"No appointment with id {appointment_id}.", status=404)
    ensure_site(appt.site_id)
    return appt


@bp.errorhandler(ConcurrentChange)
def concurrent_change(err: ConcurrentChange):
    """409 conflict_retry with the appointment as it now stands (read after the losing work is undone)."""
    db.session.rollback()
    body = error_body(err.code, err.message, {"appointment": appointment_json(err.appointment)})
    return jsonify(body), err.status


def _changed(appointment_id: int, handler: Callable[[], tuple[dict, int]]) -> Callable[[], tuple[dict, int]]:
    """The handler of a change of one appointment, where an update that matched no row (the row was
    changed by a rival despite the lock, e.g. by a writer that does not take it) is 409 conflict_retry."""
    def run() -> tuple[dict, int]:
        try:
            return handler()
        except StaleDataError:
            db.session.rollback()
            raise ConcurrentChange(_appointment(appointment_id)) from None

    return run


def _idempotent(handler: Callable[[], tuple[dict, int]]):
    """Run a write once per Idempotency-Key: a retry with the same body replays the first answer."""
    writes.begin_write()
    key = request.headers.get("Idempotency-Key")
    if key is None:
        body, code = handler()
        return jsonify(body), code
    if not 0 < len(key) <= 200:
        raise ValidationFailed({"Idempotency-Key": "From 1 to 200 characters."})
    user = signed_in_actor()
    payload = request.get_json(silent=True)
    digest = hashlib.sha256(
        json.dumps([request.method, request.path, payload], sort_keys=True, default=str).encode()
    ).hexdigest()
    replay = _replay(user.id, key, digest)
    if replay is not None:
        return replay
    try:
        body, code = handler()
    except DomainError:
        # A simultaneous twin may have just booked this very request: answer as it did.
        db.session.rollback()
        replay = _replay(user.id, key, digest)
        if replay is None:
            raise
        return replay
    try:
        with db.session.begin_nested():
            db.session.add(IdempotencyKey.for_appointment(body["id"], user_id=user.id, key=key, request_hash=digest,
                                                          status_code=code, body=body))
        db.session.flush()
    except IntegrityError:
        # The same key won a race in another request: its answer stands, this work is undone.
        db.session.rollback()
        replay = _replay(user.id, key, digest)
        if replay is None:
            raise
        return replay
    return jsonify(body), code


def _replay(user_id: int, key: str, digest: str):
    row = db.session.execute(
        sa.select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != digest:
        raise DomainError("idempotency_key_reused", "This Idempotency-Key was used with another request.",
                          {"Idempotency-Key": key})
    return jsonify(row.body), row.status_code


RACE = ("409 conflict_retry, with the appointment as it now stands in details.appointment, when a "
        "concurrent change of the same appointment won (look again, then retry); never a 5xx for a race.")


# ---------------------------------------------------------------- routes


@bp.route("/v1/availability")
@requires("view_schedule")
@operation("Free slots for a procedure at a site, one per free physician and room", query=schemas.AvailabilityQuery,
           answer=(schemas.Slots, schemas.FreeStarts), errors=(401, 403, 404, 422))
def availability(args: Checked[schemas.AvailabilityQuery]):
    site = site_by_code(args.get("location"))
    code = args.get("procedure")
    if code is not None and get_procedure(code) is None:
        args.add("procedure", "Unknown procedure code.")
    query = args.done()
    code, day, days, physician, group = query.procedure, query.date, query.days, query.physician, query.group
    _physician_at(site, physician, "physician")
    stamp = stamps.current(db.session, site.id)
    now = utcnow()
    key = (site.id, stamp, code, day, days, physician, group, _window_key(site, stamp, now))

    def compute() -> bytes:
        free = free_starts(site, code, day, days, physician, now)
        rooms = {room.id: room.name for room in seen_reference(site).rooms}   # the search's own rooms
        write = _starts_json if group == "start" else _slots_json
        return write(free, site.tz, rooms).encode()

    body = _answers().get_or_compute(key, compute)
    return current_app.response_class(body, mimetype="application/json")


def _answers() -> stamps.AnswerCache:
    cache = current_app.extensions.get(stamps.ANSWERS_KEY)
    if cache is None:
        cache = current_app.extensions.setdefault(
            stamps.ANSWERS_KEY, stamps.AnswerCache(current_app.config["AVAILABILITY_CACHE_MB"] * 1_000_000))
    return cache


def _window_key(site: Site, stamp: int, now: dt.datetime) -> tuple:
    """The bookable window's edges for the cache key: they move the answer only when they cross a
    start, so an answer is kept until then rather than for a minute. The site's start minutes
    (working-hour starts modulo the slot interval) are read once per schedule stamp."""
    def read() -> frozenset[int]:
        starts = db.session.execute(sa.select(WorkingHours.start_time).where(WorkingHours.site_id == site.id)
                                    .distinct()).scalars().all()
        return start_minutes(starts, site.slot_interval_minutes)

    return window_edges(site, now, stamps.stamped("availability_start_minutes", site.id, stamp, read))


def _slots_json(free: list[FreeStart], tz: ZoneInfo, rooms: dict[int, str]) -> str:
    """`{"slots": [...]}` written directly: a 60-day answer holds thousands of slots, and each start's
    local times are formatted once for all its physician and room pairs rather than once a slot."""
    names = {room_id: json.dumps(name) for room_id, name in rooms.items()}
    tails: dict[tuple[int, int], str] = {}
    items: list[str] = []
    for start, end, pairs in free:
        head = f'{{"start":"{iso_local_at(start, tz)}","end":"{iso_local_at(end, tz)}","physician_id":'
        for physician_id, room_ids in pairs:
            for room_id in room_ids:
                tail = tails.get((physician_id, room_id))
                if tail is None:
                    tail = tails[physician_id, room_id] = f'{physician_id},"room":{names[room_id]},"room_id":{room_id}}}'
                items.append(head + tail)
    return '{"slots":[' + ",".join(items) + "]}"


def _starts_json(free: list[FreeStart], tz: ZoneInfo, rooms: dict[int, str]) -> str:
    """`group=start`: one entry per start with its free physicians and rooms (every free physician
    may take any of the start's free rooms), and each room's name once; written directly, as the
    slots are."""
    lists: dict[tuple[int, ...], str] = {}

    def listed(ids: tuple[int, ...]) -> str:
        found = lists.get(ids)
        if found is None:
            found = lists[ids] = "[" + ",".join(map(str, ids)) + "]"
        return found

    entries = [f'{{"start":"{iso_local_at(start, tz)}","end":"{iso_local_at(end, tz)}",'
               f'"physicians":{listed(tuple(p for p, _ in pairs))},"rooms":{listed(pairs[0][1] if pairs else ())}}}'
               for start, end, pairs in free]
    names = json.dumps({str(k): v for k, v in sorted(rooms.items())}, separators=(",", ":"), ensure_ascii=False)
    return '{"starts":[' + ",".join(entries) + '],"room_names":' + names + "}"


@bp.route("/v1/appointments", methods=["POST"])
@requires("book")
@operation("Book an appointment", body=schemas.BookingInput, answer=schemas.Appointment, status=201,
           errors=(401, 403, 404, 409, 422), idempotent=True,
           description="409 slot_unavailable when the time is not free; 409 patient_busy when the patient has "
                       "another active appointment at an overlapping time (at any site).")
def book(body: Checked[schemas.BookingInput]):
    def handler() -> tuple[dict, int]:
        code = body.get("location")
        site = site_by_code(code) if code else None
        if body.data.get("override") is not None and not allows(signed_in_actor(), "override_screening"):
            raise DomainError("override_not_allowed", "Only a physician may override a screening refusal.", status=403)
        # What screening reads of the patient, in the same statement: their medicines and injections,
        # and whether a waiting entry is to be closed.
        patient = scoped_patient(body.get("patient_id"), site, options=(
            joinedload(Patient.medications), joinedload(Patient.injections), waits_option()))
        got = body.done()
        inp: dict[str, Any] = dict(
            procedure_code=got.procedure, start_at=got.start, physician_id=got.physician_id, region=got.region,
            side=got.side, levels=tuple(got.levels or ()), sedation=bool(got.sedation),
            answers=got.screening.model_dump(exclude_unset=True) if got.screening else {},
            override_reason=got.override.reason.strip() if got.override else None,
        )
        site, patient = given(site), given(patient)   # a location and a patient_id are required
        planned: list[object] = []
        appt = services.book(services.BookingInput(patient=patient, site=site, **inp), current_actor(),
                             planned=planned)
        rows = sorted((r for r in planned if isinstance(r, Reminder)), key=lambda r: (r.send_at, r.id))
        # Built from the rows in hand: the reminders just planned, the room's name from the slot check's data.
        return appointment_json(appt, rows, seen_reference(site).room_name(appt.room_id)), 201

    return _idempotent(handler)


@bp.route("/v1/appointments")
@requires("view_schedule")
@operation("A local day's appointments at a site, in start order, cancelled ones included", query=schemas.DayQuery,
           answer=schemas.Appointments, errors=(401, 403, 404, 422))
def list_appointments(args: Checked[schemas.DayQuery]):
    site = site_by_code(args.get("location"))
    query = args.done()
    appts = reads.day_list(site, query.date, query.physician)
    return jsonify({"appointments": appointments_json(appts)})


@bp.route("/v1/appointments/<int:appointment_id>")
@requires("view_schedule")
@operation("An appointment", answer=schemas.Appointment, errors=(401, 403, 404))
def get_appointment(appointment_id: int):
    appt = _appointment(appointment_id)
    return jsonify(appointment_json(appt))


@bp.route("/v1/appointments/<int:appointment_id>/reschedule", methods=["POST"])
@requires("reschedule")
@operation("Move an appointment, keeping its id and history", body=schemas.RescheduleInput,
           answer=schemas.Appointment, errors=(401, 403, 404, 409, 422), idempotent=True,
           description="409 slot_unavailable, 409 patient_busy as when booking; 409 invalid_state unless booked; "
                       + RACE)
def reschedule(appointment_id: int, body: Checked[schemas.RescheduleInput]):
    def handler() -> tuple[dict, int]:
        appt = _appointment(appointment_id)
        if appt.status != AppointmentStatus.BOOKED:
            raise Conflict("invalid_state", f"An appointment that is {appt.status.value} cannot be rescheduled.",
                           {"status": appt.status.value})
        inp = body.done()
        _physician_at(appt.site, inp.physician_id)
        services.reschedule(appt, inp.start, current_actor(), inp.physician_id)
        return appointment_json(appt), 200

    return _idempotent(_changed(appointment_id, handler))


@bp.route("/v1/appointments/<int:appointment_id>/cancel", methods=["POST"])
@requires("cancel")
@operation("Cancel an appointment with a reason", body=schemas.CancelInput, answer=schemas.Appointment,
           errors=(401, 403, 404, 409, 422), idempotent=True,
           description="409 invalid_state when already cancelled or over; " + RACE)
def cancel(appointment_id: int, body: Checked[schemas.CancelInput]):
    def handler() -> tuple[dict, int]:
        appt = _appointment(appointment_id)
        # The service refuses a missing reason after its 409 check (the contract's order).
        services.cancel(appt, body.get("reason"), current_actor())
        return appointment_json(appt), 200

    return _idempotent(_changed(appointment_id, handler))


@bp.route("/v1/appointments/<int:appointment_id>/check-in", methods=["POST"])
@requires("check_in")
@operation("Check the patient in, on the appointment's local date", answer=schemas.Appointment,
           errors=(401, 403, 404, 409), description="409 invalid_state on another day or status; " + RACE)
def check_in(appointment_id: int):
    writes.begin_write()

    def handler() -> tuple[dict, int]:
        appt = _appointment(appointment_id)
        status.check_in(appt, signed_in_actor())
        db.session.flush()  # an update that matched no row is found here, inside _changed
        return appointment_json(appt), 200

    body, code = _changed(appointment_id, handler)()
    return jsonify(body), code


@bp.route("/v1/appointments/<int:appointment_id>/no-show", methods=["POST"])
@requires("no_show")
@operation("Mark the patient as not come, once the start has passed", answer=schemas.Appointment,
           errors=(401, 403, 404, 409),
           description="409 invalid_state before the appointment's start or in another status. The preparation "
                       "messages are cancelled and the patient is told the appointment will be re-arranged; " + RACE)
def no_show(appointment_id: int):
    writes.begin_write()
    appt = _appointment(appointment_id)
    status.mark_no_show(appt, signed_in_actor())
    return jsonify(appointment_json(appt))


@bp.route("/v1/appointments/<int:appointment_id>/reminders")
@requires("view_schedule")
@operation("An appointment's messages: every outbox row, by due time", answer=schemas.Reminders,
           errors=(401, 403, 404))
def reminders(appointment_id: int):
    appt = _appointment(appointment_id, "appointment.reminders.read")  # audited, site-checked
    rows = reminder_rows(appt.id)
    return jsonify({"reminders": [reminder_json(r, appt.site.tz) for r in rows]})
