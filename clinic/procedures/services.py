"""The checklist of an appointment: created on first access, recorded item by item in order, by
the right role, after check-in, with the monitoring clock before discharge; locked by the
physician's signature, after which every change is an audited amendment. No Flask here."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from clinic.access import allows
from clinic.accounts.models import User
from clinic.audit.services import record as audit
from clinic.catalog.rules import policy_for
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError
from clinic.extensions import db
from clinic.labels import Words
from clinic.procedures import catalog, effects
from clinic.procedures.catalog import Booking, InvalidValue, Item
from clinic.procedures.models import Checklist, ChecklistEntry, ChecklistState
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.scheduling.signals import appointment_procedure_ended
from clinic.scheduling.status import change_status

ARRIVED = (AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROCEDURE, AppointmentStatus.COMPLETED)


@dataclass
class Case:
    """An appointment's checklist with the template items that apply to it and their current entries."""

    appointment: Appointment
    checklist: Checklist
    template: catalog.Template
    items: list[Item]
    entries: dict[str, ChecklistEntry]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def known_item(self, code: str) -> Item:
        """The item of that code, or 404 not_found."""
        item = self.item(code)
        if item is None:
            raise DomainError("not_found", f"No checklist item {code} for this appointment.", status=404)
        return item

    def phase_items(self, phase: str) -> list[Item]:
        return [i for i in self.items if i.phase == phase]

    def is_done(self, item: Item) -> bool:
        entry = self.entries.get(item.code)
        return entry is not None and entry.done

    def is_required(self, item: Item) -> bool:
        """Required by the template, or by another item's recorded value (required_if)."""
        return item.required or any(
            (entry := self.entries.get(code)) is not None and entry.value == value
            for code, value in item.required_if.items())

    def open_required(self, phase: str) -> list[str]:
        return [i.code for i in self.phase_items(phase) if self.is_required(i) and not self.is_done(i)]

    def open_before(self, phase: str) -> list[str]:
        """Required items still open in the phases before this one."""
        earlier = self.template.phases[: self.template.phase_index(phase)]
        return [code for p in earlier for code in self.open_required(p.code)]

    def phase_complete(self, phase: str) -> bool:
        return not self.open_required(phase)

    @property
    def observation_minutes(self) -> int:
        return catalog.observation_minutes(self.appointment.sedation, self.template)

    @property
    def discharge_from(self) -> dt.datetime | None:
        """The earliest instant of discharge: the procedure's end plus the observation time."""
        ended = self.checklist.procedure_ended_at
        return None if ended is None else ended + dt.timedelta(minutes=self.observation_minutes)

    def minutes_left(self, now: dt.datetime) -> int | None:
        until = self.discharge_from
        if until is None:
            return None
        return max(0, math.ceil((until - now).total_seconds() / 60))

    @property
    def clock_overridden(self) -> bool:
        """A physician already overrode the monitoring clock for this discharge."""
        return any(self.entries[i.code].override_reason for i in self.phase_items("discharge")
                   if i.code in self.entries)

    @property
    def signed(self) -> bool:
        return self.checklist.state == ChecklistState.SIGNED

    @property
    def version(self) -> str:
        """Changes whenever what the case page shows does: the appointment's status, the checklist's
        state, its newest entry, the recorded end of the procedure. A page left open compares it with
        the server's to know it is out of date."""
        newest = max((e.id for e in self.entries.values()), default=0)
        ended = self.checklist.procedure_ended_at
        return "-".join((self.appointment.status.value, self.checklist.state.value, str(newest),
                         str(int(ended.timestamp())) if ended else "0"))

    def current_phase(self) -> str:
        """The first phase with a required item still open (the last phase once every one is done)."""
        codes = [p.code for p in self.template.phases]
        return next((c for c in codes if not self.phase_complete(c)), codes[-1])

    def phase_entries(self, phase: str) -> list[ChecklistEntry]:
        """The current entries of a phase, in the template's order."""
        return [self.entries[i.code] for i in self.phase_items(phase) if i.code in self.entries]


def _checklist_for(appointment: Appointment, template_code: str, lock: bool = False) -> Checklist:
    query = sa.select(Checklist).where(Checklist.appointment_id == appointment.id)
    if lock:  # writers of one checklist queue on its row (PostgreSQL; SQLite serialises writes)
        query = query.with_for_update().execution_options(populate_existing=True)
    checklist = db.session.execute(query).scalar_one_or_none()
    if checklist is not None:
        return checklist
    checklist = Checklist(appointment_id=appointment.id, template_code=template_code, state=ChecklistState.OPEN)
    try:
        with db.session.begin_nested():
            db.session.add(checklist)
    except IntegrityError:  # created at the same moment by another request
        return db.session.execute(query).scalar_one()
    audit("checklist.create", "checklist", checklist.id, appointment.patient_id, {"appointment_id": appointment.id})
    return checklist


def load_case(appointment: Appointment, lock: bool = False) -> Case:
    """The appointment's checklist (created on first access) with its applicable items."""
    template = catalog.load_template()
    checklist = _checklist_for(appointment, template.code, lock)
    if lock:
        db.session.refresh(checklist, ["entries"])
    entries = {e.item_code: e for e in checklist.entries if e.superseded_by_id is None}
    items = catalog.items_for(Booking.of(appointment), template)
    known = {i.code for i in items}
    policy = appointment.site.policy
    # An item recorded before its condition stopped applying stays on the record.
    for code in entries:
        extra = template.item(code)
        if code not in known and extra is not None:
            items.append(extra.for_policy(policy))
    order = {i.code: n for n, i in enumerate(template.items)}
    items.sort(key=lambda i: order[i.code])
    return Case(appointment, checklist, template, items, entries)


def refresh(case: Case, now: dt.datetime | None = None) -> Case:
    """Move the state on with the clock (monitoring becomes ready for discharge)."""
    _advance(case, None, now or utcnow())
    return case


def open_case(appointment: Appointment, now: dt.datetime | None = None, action: str = "checklist.read") -> Case:
    """Load, refresh and audit the reading of an appointment's checklist."""
    case = refresh(load_case(appointment), now)
    audit(action, "checklist", case.checklist.id, appointment.patient_id, {"appointment_id": appointment.id})
    return case


# ---------------------------------------------------------------- the rules, in the contract's order

ONLY_ROLES = {("nurse",): _l("Only a nurse may record this item."),
              ("physician",): _l("Only a physician may record this item."),
              ("nurse", "physician"): _l("Only a nurse or a physician may record this item.")}


def gate(case: Case, item: Item, user: User, now: dt.datetime, override_reason: str | None = None,
         amending: bool = False) -> bool:
    """Raise the refusal that applies to recording this item now; True when an override is used."""
    if user.role.value not in item.roles:
        message = ONLY_ROLES.get(tuple(sorted(item.roles)), _l("Your role may not record this item."))
        raise DomainError("forbidden", message, {"roles": list(item.roles)}, status=403)
    if case.signed and (not amending or item.phase == "signature"):
        raise Conflict("signed", _l("The record is signed; changes are amendments with a reason."))
    if case.appointment.status not in ARRIVED:
        raise Conflict("not_checked_in", _l("The patient has not been checked in."),
                       {"status": case.appointment.status.value})
    open_items = case.open_before(item.phase)
    if open_items:
        raise Conflict("out_of_order", _l("Required items of an earlier phase are still open."), {"open": open_items})
    if item.phase == "discharge" and case.checklist.state in (ChecklistState.MONITORING, ChecklistState.IN_PROCEDURE):
        left, until = case.minutes_left(now), case.discharge_from
        if left and until is not None and not case.clock_overridden:
            if override_reason and allows(user, "override_checklist"):
                return True
            raise Conflict("monitoring_time", _l("Discharge is possible in %(left)s min (minimum observation time).", left=left),
                           {"minutes_left": left, "available_at": until.isoformat(),
                            "observation_minutes": case.observation_minutes})
    return False


def _checked(case: Case, item: Item, value: Any, user: User, override_reason: str | None) -> tuple[Any, bool]:
    try:
        value = catalog.check_value(item, value, case.template)
    except InvalidValue as err:
        raise DomainError("invalid_value", str(err), {"value": str(err), "item": item.code}) from None
    if _above_limit(case, item, value, user, override_reason) or _reasoned_choice(case, item, value,
                                                                                    override_reason):
        return value, True
    if value in item.stop_on and override_reason and allows(user, "override_checklist"):
        return value, True   # the physician decides to go on, and says why
    proc = catalog.get_procedure(case.appointment.procedure_code)
    if item.check == "non_particulate" and proc and proc.non_particulate_steroid and catalog.is_particulate(value):
        if not (override_reason and allows(user, "override_checklist")):
            raise DomainError("invalid_value", _l("A non-particulate steroid is required for this procedure "
                                                  "(a physician may override with a reason)."),
                              {"value": "particulate_steroid", "item": item.code})
        return value, True
    return value, False


def _reasoned_choice(case: Case, item: Item, value: Any, reason: str | None) -> bool:
    """A choice that needs a reason ("no contrast used"): only with a contrast plan, and a reason."""
    if value not in item.reason_for:
        return False
    if case.item("contrast_plan") is None:
        raise DomainError("invalid_value", _l("This choice is for a patient with a contrast plan."),
                          {"value": value, "item": item.code})
    if not reason:
        raise DomainError("invalid_value", _l("This choice needs a reason."),
                          {"value": value, "item": item.code})
    return True


def _above_limit(case: Case, item: Item, value: Any, user: User, override_reason: str | None) -> bool:
    """A value above the site policy's maximum (INR, glucose): 409 <limit>_above_limit, or True when
    a physician's override reason lets it stand."""
    if not item.limit:
        return False
    limit = policy_for(case.appointment.site).section(item.limit)
    if "max" not in limit or value <= limit["max"]:
        return False
    if override_reason and allows(user, "override_checklist"):
        return True
    raise Conflict(f"{item.limit}_above_limit",
                   _l("%(item)s: %(value)s is above the site's maximum of %(max)s; the procedure does not start "
                      "unless a physician records why.", item=Words(en=item.text("en"), fr=item.text("fr")),
                      value=f"{value:g}", max=f"{limit['max']:g}"),
                   {item.limit: value, "max": limit["max"], "item": item.code, "source": limit["source"]})


def record(appointment: Appointment, item_code: str, value: Any, user: User, override_reason: str | None = None,
           amendment_reason: str | None = None, now: dt.datetime | None = None) -> tuple[Case, ChecklistEntry]:
    """Record one item's value. Refusals: 403, 404 unknown item, 409 (signed, not_checked_in,
    out_of_order, monitoring_time), 422 invalid_value."""
    now = now or utcnow()
    if not allows(user, "record_checklist"):
        raise DomainError("forbidden", _l("Only a nurse or a physician records checklist items."), status=403)
    case = refresh(load_case(appointment, lock=True), now)
    item = case.known_item(item_code)
    override_reason = (override_reason or "").strip() or None
    amendment_reason = (amendment_reason or "").strip() or None
    amending = case.signed and amendment_reason is not None
    overridden = gate(case, item, user, now, override_reason, amending)
    value, value_override = _checked(case, item, value, user, override_reason)
    entry = _write(case, item, value, user, now, override_reason if (overridden or value_override) else None,
                   amendment_reason if amending else None)
    effects.after_record(case, item, entry)
    _advance(case, user, now)
    return case, entry


def _write(case: Case, item: Item, value: Any, user: User, now: dt.datetime, override_reason: str | None,
           amendment_reason: str | None) -> ChecklistEntry:
    previous = case.entries.get(item.code)
    entry = ChecklistEntry(
        checklist=case.checklist, item_code=item.code, value=value,
        done=catalog.is_done(item, value, decided=override_reason is not None),
        recorded_by_id=user.id, recorded_at=now, override_reason=override_reason,
        is_amendment=amendment_reason is not None, amendment_reason=amendment_reason,
    )
    db.session.add(entry)
    db.session.flush()
    if previous is not None:
        previous.superseded_by_id = entry.id
    case.entries[item.code] = entry
    details = {"appointment_id": case.appointment.id, "item": item.code, "entry_id": entry.id,
               "supersedes": previous.id if previous else None}
    patient_id = case.appointment.patient_id
    if amendment_reason:
        audit("checklist.amend", "checklist", case.checklist.id, patient_id,
              details | {"reason": amendment_reason, "old_value": previous.value if previous else None})
    else:
        audit("checklist.record", "checklist", case.checklist.id, patient_id, details)
    if override_reason:
        audit("checklist.override", "checklist", case.checklist.id, patient_id, details | {"reason": override_reason})
    db.session.flush()
    return entry


# ---------------------------------------------------------------- the state machine


def _advance(case: Case, user: User | None, now: dt.datetime) -> None:
    cl, appt = case.checklist, case.appointment
    if cl.state == ChecklistState.OPEN and any(i.code in case.entries for i in case.phase_items("procedure")):
        cl.state, cl.procedure_started_at = ChecklistState.IN_PROCEDURE, now
        if appt.status == AppointmentStatus.CHECKED_IN:
            change_status(appt, AppointmentStatus.IN_PROCEDURE, user, "checklist: procedure started")
    if cl.state == ChecklistState.IN_PROCEDURE and case.phase_complete("procedure"):
        cl.state, cl.procedure_ended_at = ChecklistState.MONITORING, now
        appt.actual_end_at = now
        db.session.flush()
        appointment_procedure_ended.send(appt, ended_at=now)
    if (cl.state == ChecklistState.MONITORING and case.phase_complete("monitoring")
            and case.minutes_left(now) == 0):
        cl.state = ChecklistState.READY_FOR_DISCHARGE
    if cl.state in (ChecklistState.MONITORING, ChecklistState.READY_FOR_DISCHARGE) and \
            case.phase_complete("monitoring") and case.phase_complete("discharge"):
        cl.state, cl.discharged_at = ChecklistState.DISCHARGED, now
        if appt.status == AppointmentStatus.IN_PROCEDURE:
            change_status(appt, AppointmentStatus.COMPLETED, user, "checklist: discharged")
        effects.write_injection_record(case)
        audit("checklist.discharge", "checklist", cl.id, appt.patient_id, {"appointment_id": appt.id})
    if cl.state == ChecklistState.DISCHARGED and case.phase_complete("signature") and user is not None:
        cl.state, cl.signed_at, cl.signed_by_id = ChecklistState.SIGNED, now, user.id
        audit("checklist.sign", "checklist", cl.id, appt.patient_id, {"appointment_id": appt.id})
    db.session.flush()


def blocked_reason(case: Case, item: Item, user: User, now: dt.datetime) -> tuple[str | None, str | None]:
    """Why this user cannot record the item now (code, message), or (None, None); an override or an
    amendment still possible counts as allowed."""
    try:
        gate(case, item, user, now, override_reason="?" if allows(user, "override_checklist") else None,
             amending=case.signed)
    except DomainError as err:
        return err.code, err.text
    return None, None
