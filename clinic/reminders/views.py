"""The admin outbox page (delivery by status, site and date; retry of failed rows)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clinic.access import requires
from clinic.accounts.forms import ConfirmForm
from clinic.audit.services import record
from clinic.extensions import db
from clinic.queryargs import date_arg, id_arg, page_arg
from clinic.reminders import labels, services
from clinic.reminders.channels import channel
from clinic.reminders.models import ReminderStatus
from clinic.sites.models import Site

bp = Blueprint("reminders", __name__, url_prefix="/admin/outbox")
bp.record_once(lambda state: labels.register(state.app))  # kinds, statuses and times in words on any page


def _filter() -> services.OutboxFilter:
    status = request.args.get("status") or None
    if status not in {s.value for s in ReminderStatus}:
        status = None
    day = date_arg("day", lenient=True)
    if day is None and request.args.get("day"):
        flash(_("The date was not understood (YYYY-MM-DD); it was ignored."), "warning")
    return services.OutboxFilter(status=status, site_id=id_arg("site"), day=day)


@bp.route("/")
@requires("manage_reminders")
def outbox():
    flt = _filter()
    page = page_arg()
    rows, total, by_status = services.list_outbox(flt, page)
    sites = db.session.execute(sa.select(Site).order_by(Site.name)).scalars().all()
    pages = max(1, -(-total // services.PER_PAGE))
    return render_template("reminders/outbox.html", rows=rows, total=total, by_status=by_status, flt=flt,
                           sites=sites, statuses=[s.value for s in ReminderStatus], page=page, pages=pages,
                           form=ConfirmForm(), sms_files=channel("sms").outbox_files())


@bp.route("/<int:reminder_id>/retry", methods=["GET", "POST"])
@requires("manage_reminders")
def retry(reminder_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        services.retry(reminder_id)
        flash(_("The message is queued again; the dispatcher sends it on its next pass."), "success")
        return redirect(url_for("reminders.outbox", status="failed"))
    row = services.get_reminder(reminder_id)
    record("reminder.read", "reminder", row.id, row.patient_id)
    return render_template("reminders/retry.html", row=row, form=form)
