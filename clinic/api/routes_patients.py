"""Patients over the API: register, search, read (every access audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

from flask import jsonify
from flask_babel import get_locale
from pydantic import Field
from sqlalchemy.orm.interfaces import ORMOption

from clinic.access import current_actor, requires
from clinic.api.schema import ABSENT, NOT_BLANK, Answer, Checked, Day, Input, OneOf, QueryArgs, QueryInt, operation
from clinic.api.serializers import patient_json
from clinic.api.views import bp
from clinic.catalog.bilingual import LANGUAGES
from clinic.errors import DomainError, error_body
from clinic.patients import models, services
from clinic.patients.emails import email_problem
from clinic.patients.models import SEXES
from clinic.patients.phones import registering_site
from clinic.sites.models import Site
from clinic.tenancy import get_scoped

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK)]
Codes = Annotated[list[Annotated[str, Field(min_length=1, max_length=60)]], Field(max_length=50)]
Sex = Annotated[str, OneOf(SEXES)]


class Medication(Input):
    drug: str = Field(max_length=60, description="as the patient names it: brand or generic, French or English, "
                      "dose allowed (matched to substances by the medicine vocabulary)")
    indication: str | None = Field(None, max_length=60)


class PatientInput(Input):
    first_name: Name
    last_name: Name
    birth_date: Day
    email: str = Field(min_length=1, max_length=254, pattern=NOT_BLANK,
                       description="checked as email-validator does (syntax, no DNS) and stored normalized (lower "
                                   "case); one with accented characters only when the mail relay offers SMTPUTF8")
    phone: str | None = Field(None, max_length=40, description="as dialled locally at the registering site, or "
                              "with its country code; stored in E.164")
    sms_opt_in: bool | None = Field(None, description="the day-before and stop reminders also go by SMS (needs a "
                                    "phone); absent: false")
    location: str | None = Field(None, max_length=40, description="the registering site's code (its country is the "
                                 "phone's default region); default the caller's first site")
    language: Annotated[str, OneOf(LANGUAGES)]
    sex: Sex | None = Field(None, description="drives the pregnancy check before ionising imaging (12 to 55, not "
                            "male); absent: unknown")
    conditions: Codes | None = None
    allergies: Codes | None = None
    medications: Annotated[list[Medication], Field(max_length=30)] | None = None
    allow_duplicate: bool | None = Field(None, description="Register even when the organisation holds a patient "
                                         "with the same birth date and a similar name, or the same e-mail or phone")


class Patient(Answer):
    """The patient."""

    id: int
    first_name: str
    last_name: str
    birth_date: dt.date
    email: str
    phone: str | None = Field(ABSENT, description="E.164")
    sms_opt_in: bool = ABSENT
    language: str
    sex: Sex = ABSENT
    conditions: list[str] = ABSENT
    allergies: list[str] = ABSENT
    medications: list[Medication] = ABSENT
    injection_history: list[dict[str, Any]] = ABSENT


class PatientPage(Answer):
    """A page of patients."""

    patients: list[Patient]
    page: int
    per_page: int
    total: int


class PatientSearch(QueryArgs):
    q: str = Field("", max_length=200)
    page: QueryInt = Field(1, ge=1, le=100000)
    per_page: QueryInt = Field(services.PER_PAGE, ge=1, le=100)


def _patient_input(body: Checked[PatientInput]) -> services.PatientInput:
    """The body as the service takes it, or 422 naming each bad field (the e-mail's syntax and the
    registering site included)."""
    email = body.get("email")
    problem = email_problem(email) if isinstance(email, str) and email.strip() else None
    if problem is not None:
        body.add("email", problem.reason)
    location = body.get("location")
    site = registering_site(current_actor(), location)
    if location and site is None:
        body.add("location", "Not one of your sites.")
    inp = body.done()
    return services.PatientInput(
        first_name=inp.first_name, last_name=inp.last_name, birth_date=inp.birth_date, email=inp.email,
        phone=inp.phone or "", language=inp.language, sex=inp.sex or "unknown", sms_opt_in=bool(inp.sms_opt_in),
        conditions=tuple(inp.conditions or ()), allergies=tuple(inp.allergies or ()),
        region=site.country if site else None,
        medications=tuple((" ".join(m.drug.split()), m.indication) for m in inp.medications or ()),
    )


@bp.route("/v1/patients", methods=["POST"])
@requires("register_patient")
@operation("Register a patient", body=PatientInput, answer=Patient, status=201, errors=(401, 403, 409, 422))
def create_patient(body: Checked[PatientInput]):
    data = _patient_input(body)
    inp = body.done()
    try:
        patient = services.create_patient(data, services.registration_site(current_actor(), inp.location),
                                          allow_duplicate=bool(inp.allow_duplicate))
    except services.PossibleDuplicate as err:
        # Answered, not raised: nothing is written but the audit of the ids the answer shows.
        return jsonify(error_body(err.code, err.message, err.details)), err.status
    return jsonify(patient_json(patient, with_history=True)), 201


@bp.route("/v1/patients")
@requires("view_patients")
@operation("Search patients by name (accents and case aside), e-mail, phone (any common format) or birth date "
           "(ISO or the caller's format)", query=PatientSearch, answer=PatientPage, errors=(401, 403, 422))
def search_patients(args: Checked[PatientSearch]):
    query = args.done()
    patients, total = services.search_patients(query.q, query.page, query.per_page, locale=str(get_locale()))
    return jsonify({"patients": [patient_json(p) for p in patients], "page": query.page, "per_page": query.per_page,
                    "total": total})


def scoped_patient(patient_id: int | None, site: Site | None,
                   options: Sequence[ORMOption] = ()) -> models.Patient | None:
    """The patient of a body's valid `patient_id`, looked up once its site is known (404 outside the
    caller's organisations), with what `options` say to load with it; None while either is missing
    or bad (the body's 422 names it)."""
    if patient_id is None or site is None:
        return None
    patient = get_scoped(models.Patient, patient_id, options=options)
    if patient is None:
        raise DomainError("not_found", f"No patient with id {patient_id}.", status=404)
    return patient


@bp.route("/v1/patients/<int:patient_id>")
@requires("view_patients")
@operation("A patient with their injection history", answer=Patient, errors=(401, 403, 404))
def get_patient(patient_id: int):
    patient = services.get_patient(patient_id)
    if patient is None:
        raise DomainError("not_found", f"No patient with id {patient_id}.", status=404)
    return jsonify(patient_json(patient, with_history=True))
