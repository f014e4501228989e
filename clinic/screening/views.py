"""Screening pages: the printable preparation sheet of an appointment (staff) and the outbox of
development mail (admin)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template

from clinic.access import ensure_site, requires
from clinic.tenancy import get_scoped_or_404
from clinic.audit.services import record, record_shown
from clinic.scheduling.models import Appointment
from clinic.mail import folder as outbox
from clinic.screening.sheet import render_sheet
from clinic.queryargs import page_arg

__all__ = ["bp", "render_sheet"]

bp = Blueprint("screening", __name__)
PER_PAGE = 20


@bp.route("/appointments/<int:appointment_id>/preparation")
@requires("view_schedule")
def sheet(appointment_id: int):
    appointment = get_scoped_or_404(Appointment, appointment_id)
    ensure_site(appointment.site_id)
    html = render_sheet(appointment)   # escaped by its own template
    record("appointment.preparation_sheet", "appointment", appointment.id, appointment.patient_id)
    return render_template("screening/sheet.html", appointment=appointment, sheet_html=html)


@bp.route("/admin/mail-folder")
@requires("read_mail_folder")
def outbox_index():
    number = page_arg()
    entries, total = outbox.page(number, PER_PAGE)
    record_shown("outbox.list", [(pid, None) for pid in outbox.addressed_patients([e.headers for e in entries])],
                 {"page": number, "names": [e.name for e in entries]})
    pages = max(1, -(-total // PER_PAGE))
    return render_template("screening/outbox_index.html", entries=entries, total=total, page=number, pages=pages,
                           folder=str(outbox.folder()), modified=_modified)


@bp.route("/admin/mail-folder/<name>")
@requires("read_mail_folder")
def outbox_show(name: str):
    message = outbox.read(name) or abort(404)
    patients = outbox.addressed_patients([message["headers"]])
    record("outbox.read", "outbox", name[:100], patients[0] if len(patients) == 1 else None,
           {"patients": patients} if len(patients) > 1 else None)
    return render_template("screening/outbox_show.html", message=message)


def _modified(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)
