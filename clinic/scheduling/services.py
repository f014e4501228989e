"""Booking, rescheduling and cancelling appointments. Services flush, never commit.

No double booking is guaranteed by the database: on PostgreSQL by the exclusion constraints of
migrations 0001 (physician, room) and 0010 (patient); a violation becomes 409 slot_unavailable or
patient_busy (clinic/scheduling/writes.py). On SQLite by taking the database's write lock before
re-checking for an overlap.
Writers take their locks in one order first (clinic/scheduling/locks.py), so that on PostgreSQL
they queue rather than deadlock. The checks made before are for friendly answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from clinic.access import allows
from clinic.accounts.models import Role, User
from clinic.audit.services import record
from clinic.catalog import Procedure, get_procedure
from clinic.catalog.regions import level_problem
from clinic.catalog.rules import CatalogError
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError, ValidationFailed
from clinic.extensions import db
from clinic.labels import STATUS_LABELS
from clinic.patients.models import Patient
from clinic.patients.services import medication_error, update_medications
from clinic.scheduling.availability import Slot, find_slots
from clinic.scheduling.history import steroid_history
from clinic.scheduling.locks import lock_appointment, lock_schedule
from clinic.scheduling.models import (
    REGIONS,
    SIDES,
    Appointment,
    AppointmentChange,
    AppointmentStatus,
)
from clinic.scheduling.signals import appointment_booked, appointment_cancelled, appointment_rescheduled
from clinic.scheduling.writes import patient_free, write_guarded
from clinic.screening.services import BookingContext, ScreeningResult, evaluate
from clinic.sites.models import Site
from clinic.timeutil import local_date

BOOLEAN_ANSWERS = ("possible_pregnancy", "active_infection", "fever", "recent_imaging")
NUMBER_ANSWERS = {"conservative_care_weeks": (0, 520)}


@dataclass
class BookingInput:
    patient: Patient
    site: Site
    procedure_code: str
    start_at: dt.datetime | None   # None on a booking page before a start is chosen
    physician_id: int | None = None
    region: str | None = None
    side: str | None = None
    levels: tuple[str, ...] = ()
    sedation: bool = False
    answers: dict = field(default_factory=dict)
    override_reason: str | None = None
    medications: tuple[tuple[str, str | None], ...] | None = None  # checked with the patient; None: on file

    @property
    def start(self) -> dt.datetime:
        """The chosen start: a preview or a booking needs one (the API requires it; pages ask first)."""
        if self.start_at is None:
            raise ValidationFailed({"start": "Choose a start."})
        return self.start_at


def check_input(inp: BookingInput) -> Procedure:
    """Refuse unknown codes and malformed answers, naming each bad field (422 invalid)."""
    errors: dict[str, str] = {}
    procedure = get_procedure(inp.procedure_code)
    if procedure is None:
        errors["procedure"] = "Unknown procedure code."
    if inp.region is not None and (inp.region not in REGIONS or (procedure and inp.region not in procedure.regions)):
        errors["region"] = "This region is not one of the procedure's regions."
    if inp.side is not None and inp.side not in SIDES:
        errors["side"] = f"Expected one of: {', '.join(SIDES)}."
    if inp.patient is not None and inp.site is not None and inp.patient.organisation_id != inp.site.organisation_id:
        errors["location"] = "This site belongs to another organisation than the patient's."
    region = inp.region if "region" not in errors else None
    problems = [p for p in (level_problem(level, region) for level in inp.levels) if p]
    if problems or len(inp.levels) > 6:
        errors["levels"] = " ".join(problems) if problems else "At most 6 levels."
    answers = inp.answers or {}
    for name, value in answers.items():
        if name in BOOLEAN_ANSWERS:
            if not isinstance(value, bool):
                errors[f"screening.{name}"] = "Expected true or false."
        elif name in NUMBER_ANSWERS:
            low, high = NUMBER_ANSWERS[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                errors[f"screening.{name}"] = f"Expected a number from {low} to {high}."
        else:
            errors[f"screening.{name}"] = "Unknown screening question."
    if inp.override_reason is not None and not inp.override_reason.strip():
        errors["override.reason"] = "An override needs a reason."
    if inp.medications is not None and (problem := medication_error(inp.medications)):
        errors["medications"] = problem
    if errors or procedure is None:   # an unknown procedure is one of the errors
        raise ValidationFailed(errors)
    return procedure


def _check_override(inp_reason: str | None, user: User | None) -> None:
    if inp_reason and not allows(user, "override_screening"):
        raise DomainError("override_not_allowed", _l("Only a physician may override a screening refusal."), status=403)


def offered_slot(site: Site, procedure_code: str, start_at: dt.datetime, physician_id: int | None,
                 now: dt.datetime | None = None, exclude_appointment_id: int | None = None) -> Slot:
    """The free slot starting at `start_at` (first free physician and room), or the refusal."""
    now = now or utcnow()
    if start_at < now + dt.timedelta(hours=site.min_notice_hours) or start_at > now + dt.timedelta(days=site.horizon_days):
        raise DomainError("outside_booking_window",
                          _l("Bookings are taken from %(hours)s hours to %(days)s days ahead.",
                             hours=site.min_notice_hours, days=site.horizon_days),
                          {"min_notice_hours": site.min_notice_hours, "horizon_days": site.horizon_days})
    slots = find_slots(site, procedure_code, local_date(start_at, site.tz), 1, physician_id, now,
                       exclude_appointment_id=exclude_appointment_id, only_at=start_at)
    if slots:
        return slots[0]   # the slot check's own list of the site's active physicians had the one asked for
    if physician_id is not None:
        _physician_of(site, physician_id)
    raise Conflict("slot_unavailable", _l("This time is not free for this procedure."),
                   {"start": start_at.astimezone(site.tz).isoformat()})


def _physician_of(site: Site, physician_id: int) -> None:
    """422 when the physician asked for is not a physician of the site (asked only when no slot was
    found: a slot found for them proves it)."""
    physician = db.session.get(User, physician_id)
    if physician is None or physician.role != Role.PHYSICIAN or not physician.can_access_site(site.id):
        raise ValidationFailed({"physician_id": "Not a physician of this location."})


def screen(inp: BookingInput, procedure: Procedure, slot_end: dt.datetime,
           exclude_appointment_id: int | None = None) -> ScreeningResult:
    """Run the screening rules; a refusal (not overridden) answers 422 with its code."""
    # Nothing is flushed while the history is read and the rules read the patient (their medicines,
    # their conditions), so a booking already added to the session is never counted against itself.
    with db.session.no_autoflush:
        result = evaluate(BookingContext(
            patient=inp.patient, procedure=procedure, site=inp.site, start_at=inp.start, end_at=slot_end,
            region=inp.region, side=inp.side, sedation=inp.sedation, answers=dict(inp.answers or {}),
            override_reason=inp.override_reason, exclude_appointment_id=exclude_appointment_id,
            medications=inp.medications, history=steroid_history(inp.patient, inp.site, procedure, inp.start),
        ))
    if result.refused:
        first = result.refusals[0]
        raise DomainError(first.code, first.message, {"refusals": [f.as_json() for f in result.refusals]})
    return result


def _patient_free_at(inp: BookingInput, procedure: Procedure, exclude_appointment_id: int | None = None) -> None:
    if inp.start_at is not None and inp.patient is not None:
        end_at = inp.start_at + dt.timedelta(minutes=procedure.duration_minutes)
        patient_free(inp.patient.id, inp.start_at, end_at, exclude_appointment_id, inp.site.tz)


def preview(inp: BookingInput, user: User | None, now: dt.datetime | None = None,
            patient_checked_at_write: bool = False) -> tuple[Slot, ScreeningResult]:
    """What booking would do, without writing: the slot taken and the screening result.

    A patient busy then answers 409 patient_busy before any other refusal. A booking that is about
    to write (`patient_checked_at_write`) asks only when something else refuses: otherwise the
    write finds it (the exclusion constraint on PostgreSQL, the check under SQLite's write lock)."""
    _check_override(inp.override_reason, user)
    procedure = check_input(inp)
    if not patient_checked_at_write:
        _patient_free_at(inp, procedure)
    try:
        slot = offered_slot(inp.site, inp.procedure_code, inp.start, inp.physician_id, now)
        return slot, screen(inp, procedure, slot.end_at)
    except DomainError:
        if patient_checked_at_write:
            _patient_free_at(inp, procedure)
        raise


def _times(appt: Appointment, slot: Slot, site: Site) -> None:
    appt.start_at = slot.start_at
    appt.end_at = slot.end_at
    appt.block_end_at = slot.end_at + dt.timedelta(minutes=site.turnover_minutes)
    appt.physician_id = slot.physician_id
    appt.room_id = slot.room_id


def _store_screening(appt: Appointment, result: ScreeningResult) -> None:
    appt.warnings = [w.as_json() for w in result.warnings]
    appt.medication_holds = [h.as_json() for h in result.holds]
    appt.preparation = list(result.preparation)


def book(inp: BookingInput, user: User | None, now: dt.datetime | None = None,
         planned: list[object] | None = None) -> Appointment:
    """Book after checking input, the slot and the screening; 409 slot_unavailable if taken,
    409 patient_busy if the patient is elsewhere then. Medicines checked with the patient at
    booking (`inp.medications`) are the ones screened, and are saved on the patient. `planned`,
    when given, receives what the booked signal's receivers made (the reminder rows among them),
    so that an answer can be written from them without reading them back."""
    _lock_block(inp)
    slot, result = preview(inp, user, now, patient_checked_at_write=True)
    if inp.medications is not None:
        update_medications(inp.patient, inp.medications)  # the list this booking was screened with
    appt = Appointment(
        patient_id=inp.patient.id, site_id=inp.site.id, procedure_code=inp.procedure_code,
        region=inp.region, side=inp.side, levels=list(inp.levels), sedation=inp.sedation,
        screening=dict(inp.answers or {}), status=AppointmentStatus.BOOKED,
        booked_by_id=user.id if user else None,
        override_reason=inp.override_reason or None,
        override_by_id=user.id if (inp.override_reason and user) else None,
    )
    _store_screening(appt, result)

    def choose(first: bool) -> None:
        to = slot if first else offered_slot(inp.site, inp.procedure_code, inp.start, inp.physician_id, now)
        _times(appt, to, inp.site)

    write_guarded(appt, inp.site, None, choose)
    db.session.add(AppointmentChange(appointment_id=appt.id, user_id=user.id if user else None, action="booked",
                                     new_start_at=appt.start_at, new_physician_id=appt.physician_id))
    db.session.flush()
    record("appointment.book", "appointment", appt.id, appt.patient_id,
           {"start": appt.start_at.isoformat(), "override": bool(appt.override_reason)})
    for _receiver, made in appointment_booked.send(appt, fresh=True):
        if planned is not None and isinstance(made, list):
            planned.extend(made)
    return appt


def _lock_block(inp: BookingInput) -> None:
    """Take the write's locks (its site's hours, its patient) before the slot is chosen."""
    procedure = get_procedure(inp.procedure_code) if inp.procedure_code else None
    if inp.site is None or inp.start_at is None or procedure is None:
        return  # refused as invalid further on
    end = inp.start_at + dt.timedelta(minutes=procedure.duration_minutes + inp.site.turnover_minutes)
    lock_schedule(inp.site.id, inp.start_at, end, inp.patient.id if inp.patient else None)


def _check_reschedulable(appt: Appointment) -> None:
    if appt.status != AppointmentStatus.BOOKED:
        raise Conflict("invalid_state", _l("The appointment is “%(status)s”: it cannot be moved.",
                                          status=STATUS_LABELS[appt.status.value]),
                       {"status": appt.status.value})


def _move_input(appt: Appointment, start_at: dt.datetime, physician_id: int | None, site: Site) -> BookingInput:
    """The appointment's booking, at a new start (and maybe another site of its organisation)."""
    if site.organisation_id != appt.site.organisation_id or not site.active:
        raise DomainError("not_found", "No such site.", status=404)   # another organisation's: not there
    return BookingInput(patient=appt.patient, site=site, procedure_code=appt.procedure_code, start_at=start_at,
                        physician_id=physician_id, region=appt.region, side=appt.side,
                        levels=tuple(appt.levels or ()), sedation=appt.sedation, answers=dict(appt.screening or {}),
                        override_reason=appt.override_reason)


def _move_procedure(appt: Appointment) -> Procedure:
    procedure = get_procedure(appt.procedure_code)
    if procedure is None:
        raise CatalogError(f"appointment {appt.id}: the catalog has no procedure {appt.procedure_code!r}")
    return procedure


def preview_reschedule(appt: Appointment, start_at: dt.datetime, physician_id: int | None = None,
                       site: Site | None = None, now: dt.datetime | None = None) -> tuple[Slot, ScreeningResult]:
    """What a move would do, without writing: the slot taken and the screening for the new date."""
    _check_reschedulable(appt)
    inp = _move_input(appt, start_at, physician_id, site or appt.site)
    procedure = _move_procedure(appt)
    _patient_free_at(inp, procedure, exclude_appointment_id=appt.id)
    slot = offered_slot(inp.site, appt.procedure_code, start_at, physician_id, now, exclude_appointment_id=appt.id)
    return slot, screen(inp, procedure, slot.end_at, exclude_appointment_id=appt.id)


def reschedule(appt: Appointment, start_at: dt.datetime, user: User | None, physician_id: int | None = None,
               now: dt.datetime | None = None, site: Site | None = None) -> Appointment:
    """Move a booked appointment, keeping its id; the old times go to its history. `site`: another
    site of the appointment's organisation (404 for any other), screened and planned there.

    The row is held first (409 conflict_retry if another change of it won), then the new day's locks."""
    _check_reschedulable(appt)
    lock_appointment(appt)
    old_site = appt.site
    inp = _move_input(appt, start_at, physician_id, site or old_site)
    site = inp.site
    _lock_block(inp)
    procedure = _move_procedure(appt)
    _patient_free_at(inp, procedure, exclude_appointment_id=appt.id)
    slot = offered_slot(site, appt.procedure_code, start_at, physician_id, now, exclude_appointment_id=appt.id)
    result = screen(inp, procedure, slot.end_at, exclude_appointment_id=appt.id)
    old_start, old_end, old_physician, sequence = appt.start_at, appt.end_at, appt.physician_id, appt.ical_sequence

    def choose(first: bool) -> None:
        to = slot if first else offered_slot(site, appt.procedure_code, start_at, physician_id, now,
                                             exclude_appointment_id=appt.id)
        appt.site = site
        _times(appt, to, site)
        _store_screening(appt, result)
        appt.ical_sequence = sequence + 1
        appt.needs_reschedule = False

    write_guarded(appt, site, appt.id, choose)
    moved = site.id != old_site.id
    db.session.add(AppointmentChange(appointment_id=appt.id, user_id=user.id if user else None,
                                     action="rescheduled", old_start_at=old_start, new_start_at=appt.start_at,
                                     old_physician_id=old_physician, new_physician_id=appt.physician_id,
                                     note=f"{old_site.name} → {site.name}" if moved else ""))
    db.session.flush()
    details: dict[str, object] = {"old_start": old_start.isoformat(), "new_start": appt.start_at.isoformat()}
    if moved:
        details |= {"old_site_id": old_site.id, "new_site_id": site.id}
    record("appointment.reschedule", "appointment", appt.id, appt.patient_id, details)
    appointment_rescheduled.send(appt, old_start_at=old_start, old_end_at=old_end)
    return appt


def cancel(appt: Appointment, reason: str | None, user: User | None) -> Appointment:
    """Cancel with a reason: 409 invalid_state when already over, 422 without a reason,
    409 conflict_retry when another change of the appointment won meanwhile."""
    reason = (reason or "").strip()
    _check_cancellable(appt)
    if not reason:
        raise ValidationFailed({"reason": "A cancellation needs a reason."})
    if len(reason) > 500:
        raise ValidationFailed({"reason": "At most 500 characters."})
    lock_appointment(appt)
    appt.status = AppointmentStatus.CANCELLED
    appt.cancel_reason = reason
    appt.ical_sequence += 1
    db.session.add(AppointmentChange(appointment_id=appt.id, user_id=user.id if user else None,
                                     action="cancelled", old_start_at=appt.start_at, note=reason))
    db.session.flush()
    record("appointment.cancel", "appointment", appt.id, appt.patient_id, {"reason": reason})
    appointment_cancelled.send(appt, reason=reason)
    return appt


def _check_cancellable(appt: Appointment) -> None:
    if AppointmentStatus.CANCELLED not in _transitions(appt.status):
        raise Conflict("invalid_state", _l("The appointment is “%(status)s”: it cannot be cancelled.",
                                          status=STATUS_LABELS[appt.status.value]),
                       {"status": appt.status.value})


def _transitions(status: AppointmentStatus) -> set[AppointmentStatus]:
    from clinic.scheduling.status import TRANSITIONS

    return TRANSITIONS[status]
