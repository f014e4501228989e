"""The front desk's printed day list: each appointment of a site's local day with what the desk
must know before the patient arrives (a blood thinner to stop and from when, sedation and its
escort, diabetes, allergies) and the patient's phone, in the reader's language.

The day's appointments, their patients, physicians and rooms come in one statement whatever their
number; the medication holds are the ones stored at booking (no screening runs again here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from clinic.labels import ALLERGY_LABELS
from clinic.scheduling import reads
from clinic.scheduling.models import Appointment
from clinic.screening.preparation import parse_local
from clinic.screening.sheet import hold_rows
from clinic.sites.models import Site
from clinic.templating import local_datetime, long_date


@dataclass(frozen=True)
class Flag:
    """One thing the desk must know: its kind (the CSS class and the printed symbol), its name, the detail."""
    kind: str
    label: str
    detail: str = ""


@dataclass
class DeskLine:
    appointment: Appointment
    flags: list[Flag] = field(default_factory=list)


def day_lines(site: Site, day: dt.date, language: str) -> list[DeskLine]:
    """The site's appointments of the local day in start order, each with the desk's flags."""
    appointments = reads.day_list(site, day, load=(joinedload(Appointment.patient), joinedload(Appointment.physician),
                                                   joinedload(Appointment.room)))
    return [DeskLine(a, flags(a, language)) for a in appointments]


def flags(appointment: Appointment, language: str) -> list[Flag]:
    """The desk's flags of one appointment, most urgent first: holds, sedation, conditions, allergies."""
    holds = list(appointment.medication_holds or [])
    tz = appointment.site.tz
    found = [_hold_flag(raw, row, tz) for raw, row in zip(holds, hold_rows(holds, tz, language), strict=True)]
    if appointment.sedation:
        found.append(Flag("sedation", _("Sedation"), _("an adult escort takes the patient home")))
    patient = appointment.patient
    if "diabetes" in (patient.conditions or ()):
        found.append(Flag("diabetes", _("Diabetes")))
    allergies = [str(ALLERGY_LABELS.get(a, a)) for a in patient.allergies or ()]
    if allergies:
        found.append(Flag("allergy", _("Allergy"), ", ".join(allergies)))
    return found


def _hold_flag(raw: dict, row: dict, tz) -> Flag:
    """A hold with a stop date says the drug and the day (or the hour) it stops; another says its line."""
    stop = parse_local(raw.get("stop_on"))
    if stop is None:
        return Flag("thinner", _("Blood thinner"), row["text"])
    when = local_datetime(stop, tz, "short") if isinstance(stop, dt.datetime) else long_date(stop, "EEE d MMM")
    return Flag("thinner", _("Blood thinner"), _("%(drug)s: stop from %(day)s", drug=row["drug"], day=when))
