"""What a recorded checklist item changes elsewhere: the patient's pain scores (before and after)
and, once the patient is discharged, the injection record that feeds the steroid count.

The pain scores belong to outcomes, above this package: a pain item's value is sent as
`pain_item_recorded(appointment, moment, score)` (moment "before" or "after"), in the transaction
that records it, and clinic.outcomes.init_app connects the receiver that writes the score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from blinker import Namespace

from clinic.audit.services import record as audit
from clinic.extensions import db
from clinic.patients.models import InjectionRecord
from clinic.procedures import catalog
from clinic.procedures.models import ChecklistEntry, ChecklistState
from clinic.timeutil import local_date

if TYPE_CHECKING:
    from clinic.procedures.catalog import Item
    from clinic.procedures.services import Case

# Items whose change after discharge rewrites the injection record.
RECORD_ITEMS = ("steroid", "steroid_dose_mg", "premedication_steroid", "premedication_dose_mg")
AFTER_DISCHARGE = (ChecklistState.DISCHARGED, ChecklistState.SIGNED)

_signals = Namespace()
pain_item_recorded = _signals.signal("pain-item-recorded")


def after_record(case: Case, item: Item, entry: ChecklistEntry) -> None:
    if item.pain_moment:
        pain_item_recorded.send(case.appointment, moment=item.pain_moment, score=int(entry.value))
    if item.code in RECORD_ITEMS and case.checklist.state in AFTER_DISCHARGE:
        write_injection_record(case)


def _value(case: Case, code: str):
    entry = case.entries.get(code)
    return None if entry is None else entry.value


def _premedication(case: Case) -> tuple[str | None, float | None]:
    """The premedication steroid for a contrast allergy and its triamcinolone-equivalent mg."""
    steroid, dose = _value(case, "premedication_steroid"), _value(case, "premedication_dose_mg")
    if _value(case, "contrast_plan") != "premedication" or not steroid or dose is None:
        return None, None
    return steroid, catalog.triamcinolone_equivalent(steroid, float(dose))


def write_injection_record(case: Case) -> InjectionRecord:
    """Create or update the appointment's InjectionRecord from the procedure record."""
    appt = case.appointment
    steroid = _value(case, "steroid")
    dose = _value(case, "steroid_dose_mg")
    if steroid in (None, "none"):
        steroid, dose = None, None
    row = db.session.execute(
        sa.select(InjectionRecord).where(InjectionRecord.appointment_id == appt.id)
    ).scalar_one_or_none()
    created = row is None
    if row is None:
        row = InjectionRecord(appointment_id=appt.id, patient_id=appt.patient_id)
        db.session.add(row)
    row.performed_on = local_date(case.checklist.procedure_started_at or appt.start_at, appt.site.tz)
    row.procedure_code = appt.procedure_code
    row.region = appt.region
    row.steroid = steroid
    row.dose_mg = float(dose) if dose is not None else None
    row.triamcinolone_eq_mg = catalog.triamcinolone_equivalent(steroid, row.dose_mg)
    row.premedication_steroid, row.premedication_eq_mg = _premedication(case)
    db.session.flush()
    audit("injection_record.create" if created else "injection_record.update", "injection_record", row.id,
          appt.patient_id, {"appointment_id": appt.id, "steroid": steroid, "dose_mg": row.dose_mg,
                            "triamcinolone_eq_mg": row.triamcinolone_eq_mg,
                            "premedication_eq_mg": row.premedication_eq_mg})
    return row
