"""Administration pages (blueprint "admin", under /admin) and the front desk's to-reschedule list.

The pages live in pages_sites.py, pages_staffing.py and pages_users.py, which attach to `bp`.
"""

from __future__ import annotations

from flask import Blueprint, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from clinic.access import requires
from clinic.errors import ValidationFailed
from clinic.extensions import db
from clinic.scheduling import affected as affected_services

bp = Blueprint("admin", __name__, url_prefix="/admin")


def show_errors(form, err: ValidationFailed, aliases: dict[str, str] | None = None) -> None:
    """Put the service's field errors on the form's fields (others as a flash message)."""
    aliases = aliases or {}
    for name, message in err.details.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
        else:
            flash(message, "error")
    flash(_("Please correct the marked fields."), "error")


def affected_rows(err: affected_services.AppointmentsAffected) -> list:
    """The refused change is rolled back; the appointments shown to the admin are audited reads."""
    db.session.rollback()
    appointments = err.appointments
    affected_services.audit_reads(appointments, "appointment.read_affected")
    flash(_("This change would leave %(num)s booked appointment(s) outside working time. "
            "Confirm to save it and put them on the to-reschedule list.", num=len(appointments)), "warning")
    return appointments


@bp.route("/")
@requires("administer")
def index():
    return render_template("admin/index.html")


@bp.route("/to-reschedule")
@requires("rearrange")
def to_reschedule():
    appointments = affected_services.to_reschedule(current_user.site_ids())
    affected_services.audit_reads(appointments, "appointment.read_to_reschedule")
    return render_template("admin/to_reschedule.html", appointments=appointments)

