"""Admin pages for data protection: a patient's data as a JSON download, and erasure requests."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from clinic.access import requires
from clinic.errors import ValidationFailed
from clinic.extensions import db
from clinic.patients import services as patient_services
from clinic.privacy import services

bp = Blueprint("privacy", __name__)


class EraseForm(FlaskForm):
    confirmation = StringField(_l("Type the patient's last name to confirm"),
                               validators=[DataRequired(), Length(max=100)])


def _messages() -> dict[str, str]:
    return {"mismatch": _("The last name typed does not match."),
            "already_erased": _("This patient's data was already erased.")}


@bp.route("/admin/patients/<int:patient_id>/export")
@requires("patient_privacy")
def export(patient_id: int):
    patient = services.get_patient(patient_id) or abort(404)
    data = services.export_patient(patient)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="patient-{patient.id}.json"',
        "Cache-Control": "no-store",
    })


@bp.route("/admin/patients/<int:patient_id>/erase", methods=["GET", "POST"])
@requires("patient_privacy")
def erase(patient_id: int):
    patient = patient_services.get_patient(patient_id, "privacy.erase_form") or abort(404)
    form = EraseForm()
    if form.validate_on_submit():
        try:
            cancelled = services.erase_patient(patient, form.confirmation.data)
        except ValidationFailed as err:
            db.session.rollback()
            form.confirmation.errors = [_messages().get(str(err.details.get("confirmation")), err.text)]
        else:
            flash(_("The patient's identity and contact data were erased; %(n)s pending reminders cancelled.",
                    n=cancelled), "success")
            return redirect(url_for("patients.show", patient_id=patient.id))
    status = 422 if form.errors else 200
    if status == 422:
        flash(_("Please correct the marked fields."), "error")
    return render_template("privacy/erase.html", form=form, patient=patient), status
