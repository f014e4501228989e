"""The audit log viewer (admins only): filter, page through, export as CSV. Read-only by design:
every route here is GET, and reading the log is itself recorded in it."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from clinic.access import requires
from clinic.accounts.models import User
from clinic.audit import queries
from clinic.audit.services import record
from clinic.extensions import db
from clinic.outcomes.services import safe_cell
from clinic.patients.models import Patient
from clinic.queryargs import page_arg, plausible_day
from clinic.tenancy import get_scoped

bp = Blueprint("audit", __name__, url_prefix="/audit")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    user = SelectField(_l("User"), choices=[], default="")
    patient = IntegerField(_l("Patient number"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    action = StringField(_l("Action (or its beginning)"), validators=[Optional(), Length(max=60)])
    date_from = DateField(_l("From (UTC)"), validators=[Optional(), plausible_day])
    date_to = DateField(_l("To (UTC)"), validators=[Optional(), plausible_day])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period is before its start."))


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    users = db.session.execute(sa.select(User.id, User.name, User.email).order_by(User.name)).all()
    form.user.choices = [("", _("All"))] + [(str(i), f"{n} <{e}>") for i, n, e in users]
    return form


def _filter(form: AuditFilterForm) -> queries.AuditFilter:
    return queries.AuditFilter(
        user_id=int(form.user.data) if form.user.data else None, patient_id=form.patient.data,
        action=(form.action.data or "").strip(), date_from=form.date_from.data, date_to=form.date_to.data,
    )


def _patient_on_record(patient_id: int | None) -> int | None:
    """The filter's patient number for the audit row of this reading, when it names a patient:
    a number that names nobody matches no event and is kept in the row's details only."""
    if patient_id is None:
        return None
    patient = get_scoped(Patient, patient_id)
    return None if patient is None else patient.id


@bp.route("/")
@requires("view_audit")
def index():
    form = _form()
    if not form.validate():
        return render_template("audit/index.html", form=form, events=None, actions=queries.action_names()), 422
    page = page_arg()
    f = _filter(form)
    events, total = queries.search(f, page)
    record("audit.view", "audit_log", patient_id=_patient_on_record(f.patient_id), details=f.as_dict() | {"page": page})
    pages = max(1, -(-total // queries.PER_PAGE))
    merged = sorted(queries.merged_ids(f.patient_id)) if f.patient_id is not None else []
    return render_template("audit/index.html", form=form, events=events, total=total, page=page, pages=pages,
                           actions=queries.action_names(), merged=merged)


def _csv_line(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe_cell(v) for v in row])
    return out.getvalue()


@bp.route("/export.csv")
@requires("view_audit")
def export():
    form = _form()
    if not form.validate():
        return render_template("audit/index.html", form=form, events=None, actions=queries.action_names()), 422
    f = _filter(form)
    record("audit.export", "audit_log", patient_id=_patient_on_record(f.patient_id), details=f.as_dict())

    def generate():
        for row in queries.export_rows(f):
            yield _csv_line(row)

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
