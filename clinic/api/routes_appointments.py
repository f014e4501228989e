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
from clinic.api.appointment_json import appointment_json, appointments_json, reminder_json, reminder_rows
from clinic.api.parsing import Body, given, query_date, query_int
from clinic.api.routes_patients import body_patient
from clinic.api.routes_reference import site_by_code
from clinic.api.views import bp
from clinic.catalog import get_procedure
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError, ValidationFailed, error_body
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.reminders.models import Reminder
from clinic.scheduling import reads, services, stamps, status, writes
from clinic.scheduling.availability import FreeStart, free_starts, seen_reference, start_minutes, window_edges
from clinic.scheduling.locks import ConcurrentChange
from clinic.scheduling.models import REGIONS, SIDES, Appointment, AppointmentStatus, IdempotencyKey, WorkingHours
from clinic.sites.models import Room, Site

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


def _screening(body: Body) -> dict:
    return dict(body.obj("screening") or {})


def _override(body: Body) -> str | None:
    raw = body.obj("override")
    if raw is None:
        return None
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        body.errors["override.reason"] = "An override needs a reason (1 to 1000 characters)."
        return None
    return reason.strip()


# ---------------------------------------------------------------- routes


@bp.route("/v1/availability")
@requires("view_schedule")
def availability():
    site = site_by_code(request.args.get("location"))
    code = request.args.get("procedure", "")
    if get_procedure(code) is None:
        raise ValidationFailed({"procedure": "Unknown procedure code."})
    day = query_date("date")
    days = query_int("days", 1, 1, 120)
    physician = query_int("physician", 0, 1, 2**31 - 1) if request.args.get("physician") else None
    _physician_at(site, physician, "physician")
    group = request.args.get("group")
    if group not in (None, "start"):
        raise ValidationFailed({"group": "Only group=start is known (one entry per start)."})
    stamp = stamps.current(db.session, site.id)
    now = utcnow()
    key = (site.id, stamp, code, day, days, physician, group, _window_key(site, stamp, now))

    def compute() -> bytes:
        rooms = dict(db.session.execute(sa.select(Room.id, Room.name).where(Room.site_id == site.id)).tuples().all())
        free = free_starts(site, code, day, days, physician, now)
        write = _starts_json if group == "start" else _slots_json
        return write(free, site.tz, rooms).encode()

    body = _answers().get_or_compute(key, compute)
    return current_app.response_class(body, mimetype="application/json")


def _answers() -> stamps.AnswerCache:
    cache = current_app.extensions.get("availability_answers")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "availability_answers", stamps.AnswerCache(current_app.config["AVAILABILITY_CACHE_MB"] * 1_000_000))
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
    for start_at, end_at, pairs in free:
        head = (f'{{"start":"{start_at.astimezone(tz).isoformat()}",'
                f'"end":"{end_at.astimezone(tz).isoformat()}","physician_id":')
        for physician_id, room_ids in pairs:
            for room_id in room_ids:
                tail = tails.get((physician_id, room_id))
                if tail is None:
                    tail = tails[physician_id, room_id] = f'{physician_id},"room":{names[room_id]},"room_id":{room_id}}}'
                items.append(head + tail)
    return '{"slots":[' + ",".join(items) + "]}"


def _starts_json(free: list[FreeStart], tz: ZoneInfo, rooms: dict[int, str]) -> str:
    """`group=start`: one entry per start with its free physicians and rooms (every free physician
    may take any of the start's free rooms), and each room's name once."""
    entries = [{"start": start_at.astimezone(tz).isoformat(), "end": end_at.astimezone(tz).isoformat(),
                "physicians": [physician_id for physician_id, _ in pairs],
                "rooms": list(pairs[0][1]) if pairs else []}
               for start_at, end_at, pairs in free]
    return json.dumps({"starts": entries, "room_names": {str(k): v for k, v in sorted(rooms.items())}},
                      separators=(",", ":"), ensure_ascii=False)


@bp.route("/v1/appointments", methods=["POST"])
@requires("book")
def book():
    def handler() -> tuple[dict, int]:
        body = Body()
        code = body.string("location", max_length=40)
        site = site_by_code(code) if code else None
        if body.data.get("override") is not None and not allows(signed_in_actor(), "override_screening"):
            raise DomainError("override_not_allowed", "Only a physician may override a screening refusal.", status=403)
        # What screening reads of the patient, in the same statement: their medicines and injections.
        patient = body_patient(body, site, options=(joinedload(Patient.medications), joinedload(Patient.injections)))
        inp: dict[str, Any] = dict(
            procedure_code=body.string("procedure", max_length=40), start_at=body.instant("start"),
            physician_id=body.integer("physician_id", required=False, minimum=1),
            region=body.string("region", required=False, max_length=20, choices=REGIONS),
            side=body.string("side", required=False, max_length=20, choices=SIDES),
            levels=tuple(body.string_list("levels", max_items=6, max_length=10)),
            sedation=body.boolean("sedation", default=False), answers=_screening(body), override_reason=_override(body),
        )
        body.done()
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
def list_appointments():
    site = site_by_code(request.args.get("location"))
    day = query_date("date")
    physician = query_int("physician", 0, 1, 2**31 - 1) if request.args.get("physician") else None
    appts = reads.day_list(site, day, physician)
    return jsonify({"appointments": appointments_json(appts)})


@bp.route("/v1/appointments/<int:appointment_id>")
@requires("view_schedule")
def get_appointment(appointment_id: int):
    appt = _appointment(appointment_id)
    return jsonify(appointment_json(appt))


@bp.route("/v1/appointments/<int:appointment_id>/reschedule", methods=["POST"])
@requires("reschedule")
def reschedule(appointment_id: int):
    def handler() -> tuple[dict, int]:
        appt = _appointment(appointment_id)
        body = Body()
        start = body.instant("start")
        physician = body.integer("physician_id", required=False, minimum=1)
        if appt.status != AppointmentStatus.BOOKED:
            raise Conflict("invalid_state", f"An appointment that is {appt.status.value} cannot be rescheduled.",
                           {"status": appt.status.value})
        body.done()
        _physician_at(appt.site, physician)
        services.reschedule(appt, given(start), current_actor(), physician)
        return appointment_json(appt), 200

    return _idempotent(_changed(appointment_id, handler))


@bp.route("/v1/appointments/<int:appointment_id>/cancel", methods=["POST"])
@requires("cancel")
def cancel(appointment_id: int):
    def handler() -> tuple[dict, int]:
        appt = _appointment(appointment_id)
        data = request.get_json(silent=True)
        reason = data.get("reason") if isinstance(data, dict) else None
        services.cancel(appt, reason if isinstance(reason, str) else None, current_actor())
        return appointment_json(appt), 200

    return _idempotent(_changed(appointment_id, handler))


@bp.route("/v1/appointments/<int:appointment_id>/check-in", methods=["POST"])
@requires("check_in")
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
def no_show(appointment_id: int):
    writes.begin_write()
    appt = _appointment(appointment_id)
    status.mark_no_show(appt, signed_in_actor())
    return jsonify(appointment_json(appt))


@bp.route("/v1/appointments/<int:appointment_id>/reminders")
@requires("view_schedule")
def reminders(appointment_id: int):
    appt = _appointment(appointment_id, "appointment.reminders.read")  # audited, site-checked
    rows = reminder_rows(appt.id)
    return jsonify({"reminders": [reminder_json(r, appt.site.tz) for r in rows]})
