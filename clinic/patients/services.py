"""Registering, finding and reading patients. Every read and write is audited."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa

from clinic.audit.services import record, record_shown
from clinic.db import utcnow
from clinic.errors import Conflict, ValidationFailed
from clinic.extensions import db
from clinic.names import name_problem
from clinic.patients.emails import BadEmail, normalize_email
from clinic.patients.models import ALLERGIES, CONDITIONS, SEXES, Patient, PatientMedication
from clinic.patients.phones import BadPhone, to_e164
from clinic.patients.search import query_kind, search_filter, similar_names
from clinic.sites.models import Site
from clinic.tenancy import get_scoped, scope_clause

# A medicine as people write it: a brand or a generic name, accents, dosage ("Kardégic 75 mg").
DRUG_PATTERN = re.compile(r"^[^\W\d_][\w .,/+()'%-]{1,59}$")
PER_PAGE = 20


@dataclass
class PatientInput:
    first_name: str
    last_name: str
    birth_date: dt.date
    email: str
    language: str
    phone: str = ""
    sex: str = "unknown"
    sms_opt_in: bool = False
    region: str | None = None  # the registering site's country: the default region of a local phone number
    conditions: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    medications: tuple[tuple[str, str | None], ...] = ()


def check_rules(data: PatientInput, today: dt.date | None = None) -> None:
    """Refuse what no form can see: unknown codes, impossible birth dates."""
    errors: dict[str, str] = {}
    today = today or utcnow().date()
    for field in ("first_name", "last_name"):
        problem = name_problem(getattr(data, field))
        if problem:
            errors[field] = problem
    if data.birth_date > today:
        errors["birth_date"] = "Birth date is in the future."
    elif data.birth_date < today.replace(year=today.year - 120):
        errors["birth_date"] = "Birth date is more than 120 years ago."
    if data.sex not in SEXES:
        errors["sex"] = f"Sex must be one of: {', '.join(SEXES)}."
    if data.language not in ("fr", "en"):
        errors["language"] = "Language must be 'fr' or 'en'."
    try:
        normalize_email(data.email)
    except BadEmail as err:
        errors["email"] = err.reason
    phone = _phone(data, errors)
    if data.sms_opt_in and not phone and "phone" not in errors:
        errors["sms_opt_in"] = "Text messages need a phone number."
    unknown = [c for c in data.conditions if c not in CONDITIONS]
    if unknown:
        errors["conditions"] = f"Unknown condition codes: {', '.join(unknown)}."
    unknown = [a for a in data.allergies if a not in ALLERGIES]
    if unknown:
        errors["allergies"] = f"Unknown allergy codes: {', '.join(unknown)}."
    error = medication_error(data.medications)
    if error:
        errors["medications"] = error
    if errors:
        raise ValidationFailed(errors)


def _phone(data: PatientInput, errors: dict[str, str]) -> str:
    """The phone in E.164, or "" when none was given; a number that does not parse is an error."""
    raw = (data.phone or "").strip()
    if not raw:
        return ""
    try:
        return to_e164(raw, data.region)
    except BadPhone:
        where = f" in {data.region}" if data.region else ""
        errors["phone"] = (f"Not a valid phone number{where}: type it as dialled locally, "
                           "or with its country code (e.g. +33 6 12 34 56 78, +1 612 555 0142).")
        return ""


def medication_error(medications: tuple[tuple[str, str | None], ...]) -> str | None:
    """What is wrong with a list of (medicine, indication) pairs, or None."""
    if any(not DRUG_PATTERN.match(d) for d, _ in medications):
        return "A medicine is a name of 2 to 60 letters, digits, spaces or . , / + ( ) ' % -."
    return None


def _set_medications(patient: Patient, medications: tuple[tuple[str, str | None], ...]) -> None:
    patient.medications = [PatientMedication(drug=d, indication=i or None) for d, i in medications]


def update_medications(patient: Patient, medications: tuple[tuple[str, str | None], ...]) -> Patient:
    """Replace the patient's medicine list (as checked with the patient at booking), audited;
    nothing is written when the list is the one on file."""
    error = medication_error(medications)
    if error:
        raise ValidationFailed({"medications": error})
    if [(m.drug, m.indication or None) for m in patient.medications] != [(d, i or None) for d, i in medications]:
        _set_medications(patient, medications)
        db.session.flush()
        record("patient.update", "patient", patient.id, patient.id, {"medications": len(medications)})
    return patient


def _apply(patient: Patient, data: PatientInput) -> None:
    patient.first_name = data.first_name.strip()
    patient.last_name = data.last_name.strip()
    patient.birth_date = data.birth_date
    patient.email = normalize_email(data.email)  # checked by check_rules
    patient.phone = _phone(data, {})
    patient.sms_opt_in = bool(data.sms_opt_in and patient.phone)
    patient.language = data.language
    patient.sex = data.sex
    patient.conditions = sorted(set(data.conditions))
    patient.allergies = sorted(set(data.allergies))
    _set_medications(patient, data.medications)


def registration_site(user, code: str | None) -> Site:
    """The site a patient is registered at: the one named (among the caller's), else the caller's
    first site. A site outside the caller's organisations reads as unknown (existence not revealed)."""
    if code:
        site = db.session.scalar(sa.select(Site).where(Site.code == code, Site.active.is_(True)))
        if site is None or not user.can_access_site(site.id):
            raise ValidationFailed({"location": f"No site {code!r} among yours."})
        return site
    if user.sites:
        return user.sites[0]
    ids = user.site_ids()
    site = None if ids is None else db.session.scalar(
        sa.select(Site).where(Site.active.is_(True), Site.id.in_(ids or {-1})).order_by(Site.name, Site.id))
    if site is None:
        # The deployment's administrator belongs to no organisation: the site must be said.
        raise ValidationFailed({"location": "Say at which site the patient is registered (its code)."})
    return site


class PossibleDuplicate(Conflict):
    """The organisation may already hold this patient: registering again needs `allow_duplicate`."""

    def __init__(self, patients: list[Patient]):
        self.patients = patients
        super().__init__("possible_duplicate",
                         f"{len(patients)} patient(s) of this organisation may be the same person "
                         "(same birth date and a similar name, or the same e-mail or phone).",
                         {"patients": [p.id for p in patients]})


def _comparable_email(value: str) -> str:
    """The address as stored, to compare with the records (as typed, folded, when it is refused)."""
    try:
        return normalize_email(value)
    except BadEmail:
        return value.strip().lower()


def possible_duplicates(data: PatientInput, site: Site) -> list[Patient]:
    """The organisation's patients that are likely the same person: the same birth date and a similar
    name, or the same e-mail, or the same phone. Their ids are shown, so the check is audited."""
    email, phone = _comparable_email(data.email), _phone(data, {})
    alike = [Patient.birth_date == data.birth_date, Patient.email == email]
    if phone:
        alike.append(Patient.phone == phone)
    stmt = (sa.select(Patient).where(Patient.organisation_id == site.organisation_id,
                                     Patient.pseudonymised_at.is_(None), sa.or_(*alike))
            .order_by(Patient.id).limit(50))
    scope = scope_clause(Patient)
    if scope is not None:
        stmt = stmt.where(scope)
    found = [p for p in db.session.scalars(stmt)
             if p.email == email or (phone and p.phone == phone)
             or (p.birth_date == data.birth_date and similar_names(data.first_name, data.last_name, p))]
    if found:
        record_shown("patient.duplicate_check", [(p.id, None) for p in found], {"found": len(found)})
    return found


def create_patient(data: PatientInput, site: Site, allow_duplicate: bool = False) -> Patient:
    """A new patient of the organisation of `site`, where they are registered; refused with the
    likely duplicates (PossibleDuplicate) unless `allow_duplicate`."""
    check_rules(data)
    if not allow_duplicate:
        duplicates = possible_duplicates(data, site)
        if duplicates:
            raise PossibleDuplicate(duplicates)
    patient = Patient(organisation_id=site.organisation_id)
    _apply(patient, data)
    db.session.add(patient)
    db.session.flush()
    record("patient.create", "patient", patient.id, patient.id)
    return patient


def update_patient(patient: Patient, data: PatientInput) -> Patient:
    check_rules(data)
    _apply(patient, data)
    db.session.flush()
    record("patient.update", "patient", patient.id, patient.id)
    return patient


def get_patient(patient_id: int, action: str = "patient.read") -> Patient | None:
    """The patient if the caller's organisations hold them (None otherwise, as for no such id)."""
    patient = get_scoped(Patient, patient_id)
    if patient is not None:
        record(action, "patient", patient.id, patient.id)
    return patient


def search_patients(q: str, page: int = 1, per_page: int = PER_PAGE,
                    locale: str = "en") -> tuple[list[Patient], int]:
    """Patients matching every word of `q` in name (accents and case aside) or e-mail, a phone number
    in any common format, or a birth date (ISO or the `locale`'s format); one page, and the total."""
    page = max(page, 1)
    stmt = sa.select(Patient)
    for condition in (scope_clause(Patient), search_filter(q, locale)):
        if condition is not None:
            stmt = stmt.where(condition)
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
    rows = (
        db.session.execute(
            stmt.order_by(Patient.last_name, Patient.first_name, Patient.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .all()
    )
    # The words searched for are not kept: they are often a name, and the audit log outlives erasure.
    record_shown("patient.search", [(p.id, None) for p in rows],
                 {"page": page, "query": query_kind(q, locale), "total": total})
    return list(rows), total


def injection_history(patient: Patient) -> list[dict]:
    return [
        {
            "date": r.performed_on.isoformat(),
            "procedure": r.procedure_code,
            "region": r.region,
            "steroid": r.steroid,
            "dose_mg": r.dose_mg,
        }
        for r in patient.injections
    ]
