"""Patient pages for the front desk and clinicians: search, register, view, edit."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from clinic.access import current_actor, requires, signed_in_actor
from clinic.audit.queries import merged_into
from clinic.catalog.medicines import patient_medicines, pick_list
from clinic.errors import ValidationFailed
from clinic.extensions import db
from clinic.labels import ALLERGY_LABELS, CONDITION_LABELS
from clinic.patients import services
from clinic.patients.badges import badges_for
from clinic.patients.forms import PatientForm, medication_entries, offer_empty_row
from clinic.patients.panels import panels_for
from clinic.patients.phones import registering_site
from clinic.queryargs import page_arg
from clinic.sites.models import Site

bp = Blueprint("patients", __name__, url_prefix="/patients")


def _form(patient=None) -> PatientForm:
    """The form, told the registering site's country (the default region of a local phone number)."""
    form = PatientForm(obj=patient) if patient is not None and request.method == "GET" else PatientForm()
    # The site chosen as "Registered at" when there is one (its country reads a local number).
    site = registering_site(current_user, request.form.get("location") or None) or registering_site(current_user)
    form.region = site.country if site else None
    return form


def _input(form: PatientForm) -> services.PatientInput:
    return services.PatientInput(
        region=form.region, sms_opt_in=bool(form.sms_opt_in.data),
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        birth_date=form.birth_date.data,
        email=form.email.data,
        phone=form.phone.data or "",
        language=form.language.data,
        sex=form.sex.data or "unknown",
        conditions=tuple(form.conditions.data or ()),
        allergies=tuple(form.allergies.data or ()),
        medications=medication_entries(form.medications),
    )


def _show_errors(form: PatientForm, err: ValidationFailed) -> None:
    for name, message in err.details.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
    flash(_("Please correct the marked fields."), "error")


@bp.route("/")
@requires("view_patients")
def index():
    q = request.args.get("q", "")[:200]
    page = page_arg()
    patients, total = services.search_patients(q, page, locale=str(get_locale()))
    pages = max(1, -(-total // services.PER_PAGE))
    return render_template("patients/index.html", patients=patients, total=total, q=q, page=page, pages=pages,
                           badges=badges_for([p.id for p in patients]))


def _registration_sites() -> list[Site]:
    """The active sites the user can register a patient at, their own first."""
    user = signed_in_actor()
    ids = user.site_ids()
    stmt = sa.select(Site).where(Site.active.is_(True)).order_by(Site.name, Site.id)
    if ids is not None:
        stmt = stmt.where(Site.id.in_(ids or {-1}))
    own = [s for s in user.sites if s.active]
    return own + [s for s in db.session.scalars(stmt) if s not in own]


@bp.route("/new", methods=["GET", "POST"])
@requires("register_patient")
def new():
    form = _form()
    form.location.choices = [(s.code, s.name) for s in _registration_sites()]
    duplicates: list = []
    if form.validate_on_submit():
        try:
            site = services.registration_site(current_actor(), form.location.data)
            patient = services.create_patient(_input(form), site, allow_duplicate=bool(form.allow_duplicate.data))
        except services.PossibleDuplicate as err:
            # Nothing is written but the audit of the records shown: the desk opens one, or says
            # this is someone else and sends the form again.
            duplicates = err.patients
            flash(_("This patient may already be registered: open the record below, or confirm that this "
                    "is a different person."), "error")
        except ValidationFailed as err:
            db.session.rollback()
            _show_errors(form, err)
        else:
            flash(_("Patient %(name)s registered.", name=patient.full_name), "success")
            return redirect(url_for("patients.show", patient_id=patient.id))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "error")
    status = 409 if duplicates else 422 if form.errors else 200
    return render_template("patients/form.html", form=form, patient=None, medicine_names=pick_list(),
                           duplicates=duplicates), status


@bp.route("/<int:patient_id>")
@requires("view_patients")
def show(patient_id: int):
    patient = services.get_patient(patient_id) or abort(404)
    into = merged_into(patient.id) if patient.pseudonymised_at is not None else None
    if into is not None:
        # A merged record's address (in the audit log, a bookmark) leads to the record kept.
        flash(_("Record %(old)s was merged into this one.", old=patient.id), "info")
        return redirect(url_for("patients.show", patient_id=into))
    return render_template(
        "patients/show.html", patient=patient, condition_labels=CONDITION_LABELS, allergy_labels=ALLERGY_LABELS,
        unrecognised=set(patient_medicines(patient)[1]), panels=panels_for(patient),
        badges=badges_for([patient.id]).get(patient.id, []),
    )


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@requires("edit_patient")
def edit(patient_id: int):
    patient = services.get_patient(patient_id, "patient.read_for_edit") or abort(404)
    form = _form(patient)
    del form.location  # a patient stays in the organisation they were registered in
    if request.method == "GET":
        offer_empty_row(form.medications)  # a fourth medicine can be added to three on file
    if form.validate_on_submit():
        try:
            services.update_patient(patient, _input(form))
        except ValidationFailed as err:
            db.session.rollback()
            _show_errors(form, err)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("patients.show", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=patient, medicine_names=pick_list()), \
        422 if form.errors else 200
