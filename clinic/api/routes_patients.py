"""Patients over the API: register, search, read (every access audited)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import jsonify
from flask_babel import get_locale
from sqlalchemy.orm.interfaces import ORMOption

from clinic.access import current_actor, requires
from clinic.api.parsing import Body, query_int
from clinic.api.serializers import patient_json
from clinic.api.views import bp
from clinic.errors import DomainError, ValidationFailed, error_body
from clinic.patients import services
from clinic.patients.emails import email_problem
from clinic.patients.models import SEXES, Patient
from clinic.patients.phones import registering_site
from clinic.sites.models import Site
from clinic.tenancy import get_scoped


def _patient_input(body: Body) -> services.PatientInput:
    data: dict[str, Any] = {   # typed by the checks above; done() refuses the body before any None is used
        "first_name": body.string("first_name", max_length=100),
        "last_name": body.string("last_name", max_length=100),
        "birth_date": body.date("birth_date"),
        "email": body.string("email", max_length=254),
        "phone": body.string("phone", required=False, max_length=40) or "",
        "language": body.string("language", choices=("fr", "en")),
        "sex": body.string("sex", required=False, choices=SEXES) or "unknown",
        "sms_opt_in": bool(body.boolean("sms_opt_in", default=False)),
        "conditions": tuple(body.string_list("conditions")),
        "allergies": tuple(body.string_list("allergies")),
    }
    problem = email_problem(data["email"]) if data["email"] is not None else None
    if problem is not None:
        body.errors["email"] = problem.reason
    location = body.string("location", required=False, max_length=40)
    site = registering_site(current_actor(), location)
    if location and site is None:
        body.errors["location"] = "Not one of your sites."
    data["region"] = site.country if site else None
    meds = body.data.get("medications") or []
    parsed = []
    if not isinstance(meds, list) or len(meds) > 30:
        body.errors["medications"] = "Expected a list of at most 30 objects {drug, indication?}."
    else:
        for med in meds:
            drug = med.get("drug") if isinstance(med, dict) else None
            indication = med.get("indication") if isinstance(med, dict) else None
            if not isinstance(drug, str) or not (indication is None or isinstance(indication, str)):
                body.errors["medications"] = "Each medication is an object {drug, indication?} of strings."
                break
            if len(indication or "") > 60:
                body.errors["medications"] = "An indication has at most 60 characters."
                break
            parsed.append((" ".join(drug.split()), indication))
    body.done()
    return services.PatientInput(medications=tuple(parsed), **data)


@bp.route("/v1/patients", methods=["POST"])
@requires("register_patient")
def create_patient():
    body = Body()
    location = body.string("location", required=False, max_length=40)
    allow_duplicate = bool(body.boolean("allow_duplicate", default=False))
    data = _patient_input(body)
    try:
        patient = services.create_patient(data, services.registration_site(current_actor(), location),
                                          allow_duplicate=allow_duplicate)
    except services.PossibleDuplicate as err:
        # Answered, not raised: nothing is written but the audit of the ids the answer shows.
        return jsonify(error_body(err.code, err.message, err.details)), err.status
    return jsonify(patient_json(patient, with_history=True)), 201


@bp.route("/v1/patients")
@requires("view_patients")
def search_patients():
    from flask import request

    q = request.args.get("q", "")
    if len(q) > 200:
        raise ValidationFailed({"q": "At most 200 characters."})
    page = query_int("page", 1, 1, 100000)
    per_page = query_int("per_page", services.PER_PAGE, 1, 100)
    patients, total = services.search_patients(q, page, per_page, locale=str(get_locale()))
    return jsonify(
        {"patients": [patient_json(p) for p in patients], "page": page, "per_page": per_page, "total": total}
    )


def body_patient(body: Body, site: Site | None, options: Sequence[ORMOption] = ()) -> Patient | None:
    """The body's `patient_id`, looked up once its site is known (404 outside the caller's
    organisations); `options` say what to load with it."""
    patient_id = body.integer("patient_id", minimum=1)
    if patient_id is None or site is None:
        return None
    patient = get_scoped(Patient, patient_id, options=options)
    if patient is None:
        raise DomainError("not_found", f"No patient with id {patient_id}.", status=404)
    return patient


@bp.route("/v1/patients/<int:patient_id>")
@requires("view_patients")
def get_patient(patient_id: int):
    patient = services.get_patient(patient_id)
    if patient is None:
        raise DomainError("not_found", f"No patient with id {patient_id}.", status=404)
    return jsonify(patient_json(patient, with_history=True))
