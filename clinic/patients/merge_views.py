"""Merging two records of one patient (administrators): pick the other record, compare the two side
by side with what will move, choose the values to keep, confirm. The record in the address is the
one kept; the page offers to keep the other instead."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from clinic.access import requires
from clinic.audit.services import record, record_shown
from clinic.extensions import db
from clinic.labels import ALLERGY_LABELS, CONDITION_LABELS
from clinic.patients import merge, services
from clinic.patients.models import Patient
from clinic.patients.search import search_filter
from clinic.patients.views import bp
from clinic.tenancy import get_scoped

CANDIDATES = 20
FIELD_LABELS = {
    "first_name": _l("First name"), "last_name": _l("Last name"), "birth_date": _l("Birth date"),
    "email": _l("E-mail"), "phone": _l("Phone"), "language": _l("Language"), "sex": _l("Sex"),
}
# What moves, by table; a table added later and not named here is shown as "other records".
MOVED_LABELS = {
    "appointments": _l("Appointments"), "injection_records": _l("Procedure history"),
    "reminders": _l("Reminders and messages"), "patient_requests": _l("Requests"), "pain_scores": _l("Pain scores"),
    "patient_medications": _l("Medicines"), "manage_links": _l("Patient links"),
}
SEX_LABELS = {"unknown": _l("Not recorded"), "female": _l("Female"), "male": _l("Male"), "other": _l("Other")}


class ConfirmForm(FlaskForm):
    """The confirmation: its CSRF token (the choices are read as radio buttons named take_<field>)."""


def _kept(patient_id: int) -> Patient:
    return services.get_patient(patient_id, "patient.read_for_merge") or abort(404)


def _candidates(kept: Patient, q: str) -> list[Patient]:
    """The organisation's other live records matching `q`, or, without one, those likely the same
    person (the same birth date, e-mail or phone)."""
    stmt = sa.select(Patient).where(Patient.organisation_id == kept.organisation_id, Patient.id != kept.id,
                                    Patient.pseudonymised_at.is_(None))
    condition = search_filter(q, str(get_locale()))
    if condition is None:
        alike = [Patient.birth_date == kept.birth_date, Patient.email == kept.email]
        if kept.phone:
            alike.append(Patient.phone == kept.phone)
        condition = sa.or_(*alike)
    found = list(db.session.scalars(stmt.where(condition)
                                    .order_by(Patient.last_name, Patient.first_name, Patient.id).limit(CANDIDATES)))
    record_shown("patient.merge_search", [(p.id, None) for p in found], {"kept": kept.id, "searched": bool(q.strip())})
    return found


@bp.route("/<int:patient_id>/merge")
@requires("merge_patients")
def merge_pick(patient_id: int):
    kept = _kept(patient_id)
    q = request.args.get("q", "")[:200]
    return render_template("patients/merge_pick.html", patient=kept, q=q, candidates=_candidates(kept, q))


def _refusal_message(err: merge.MergeRefused) -> str:
    d = err.details
    messages = {
        "same_record": lambda: _("A record cannot be merged with itself."),
        "merged": lambda: _("Record %(id)s was already merged into record %(into)s.", id=d["patient"], into=d["into"]),
        "erased": lambda: _("The data of record %(id)s was erased: it cannot be merged.", id=d["patient"]),
        "overlapping_appointments": lambda: _(
            "Both records have active appointments at overlapping times: cancel or move one of each pair below "
            "before merging."),
    }
    return messages.get(err.code, lambda: err.message)()


def _duplicate_id() -> int | None:
    raw = request.values.get("duplicate", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


@bp.route("/<int:patient_id>/merge/confirm", methods=["GET", "POST"])
@requires("merge_patients")
def merge_confirm(patient_id: int):
    kept = _kept(patient_id)
    duplicate_id = _duplicate_id()
    if duplicate_id is None:
        flash(_("Choose the record to merge into this one."), "error")
        return redirect(url_for("patients.merge_pick", patient_id=kept.id))
    duplicate = get_scoped(Patient, duplicate_id) or abort(404)
    record("patient.read_for_merge", "patient", duplicate.id, duplicate.id, {"kept": kept.id})
    form = ConfirmForm()
    try:
        if form.validate_on_submit():
            chosen = [n for n in merge.CHOSEN_FIELDS if request.form.get(f"take_{n}") == "duplicate"]
            details = merge.merge_patients(kept, duplicate, chosen)
            flash(_("Record %(old)s was merged into this one: %(n)s rows moved.", old=duplicate_id,
                    n=sum(details["moved"].values())), "success")
            return redirect(url_for("patients.show", patient_id=kept.id))
        preview = merge.preview(kept, duplicate)
    except merge.MergeRefused as err:
        if err.status == 404:
            abort(404)
        # Nothing was written (the checks come first): the reads stay on record, with the refusal.
        record("patient.merge_refused", "patient", duplicate_id, kept.id, {"merged": duplicate_id, "code": err.code})
        # The page that explains a refusal is a page (200); a refused merge answers its status.
        return render_template("patients/merge_confirm.html", patient=kept, duplicate=duplicate, preview=None,
                               refusal=_refusal_message(err), overlaps=err.overlaps, **_labels()), \
            err.status if request.method == "POST" else 200
    if request.method == "POST":
        flash(_("The form expired: confirm again."), "error")
    return render_template("patients/merge_confirm.html", patient=kept, duplicate=duplicate, preview=preview,
                           form=form, refusal=None, overlaps=[], **_labels())


def _labels() -> dict:
    return {"field_labels": FIELD_LABELS, "moved_labels": MOVED_LABELS, "sex_labels": SEX_LABELS,
            "condition_labels": CONDITION_LABELS, "allergy_labels": ALLERGY_LABELS}
