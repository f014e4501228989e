"""Screening pages: the printable preparation sheet of an appointment (staff)."""

from __future__ import annotations

from flask import Blueprint, render_template

from clinic.access import ensure_site, requires
from clinic.audit.services import record
from clinic.scheduling.models import Appointment
from clinic.screening.sheet import render_sheet
from clinic.tenancy import get_scoped_or_404

__all__ = ["bp", "render_sheet"]

bp = Blueprint("screening", __name__)


@bp.route("/appointments/<int:appointment_id>/preparation")
@requires("view_schedule")
def sheet(appointment_id: int):
    appointment = get_scoped_or_404(Appointment, appointment_id)
    ensure_site(appointment.site_id)
    html = render_sheet(appointment)   # escaped by its own template
    record("appointment.preparation_sheet", "appointment", appointment.id, appointment.patient_id)
    return render_template("screening/sheet.html", appointment=appointment, sheet_html=html)
