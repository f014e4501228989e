"""The patient's manage page (public, guarded by the opaque link) and the front desk's one-click
confirmation of a time a patient asked for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clinic.access import current_actor, public, requires, visible_site_ids
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.links.tokens import LinkClaims
from clinic.mail.confirmation import invite
from clinic.portal import manage, services
from clinic.portal.forms import CancelRequestForm, ManageCancelForm, OptOutForm, OtherTimeForm
from clinic.portal.views import _link_error, bp
from clinic.reminders.composers import locale_of
from clinic.reminders.models import Reminder
from clinic.scheduling import writes
from clinic.timeutil import parse_instant


@bp.route("/m/<short>")
@public  # the short token is the patient's key, as the manage link's is
def short_link(short: str):
    """The short link of a text message: a redirect to the manage page."""
    token = manage.token_of_short(short)
    db.session.rollback()
    if token is None:
        abort(404)
    return redirect(url_for("portal.manage_page", token=token), 302)


def manage_link(view: Callable) -> Callable:
    """Resolve the opaque token: unknown or revoked 404, past the appointment 410; the view gets the
    appointment and renders in the patient's language."""

    @wraps(view)
    def wrapped(token: str):
        if request.method == "POST":
            writes.begin_write()  # SQLite: take the write lock before reading
        if not 16 <= len(token) <= 64:
            abort(404)
        try:
            appointment = manage.resolve(token)
        except manage.LinkGone as gone:
            return _link_error(410, LinkClaims(gone.appointment.patient_id, gone.appointment.id))
        if appointment is None:
            db.session.rollback()
            abort(404)
        with locale_of(appointment.patient.language or "en"):
            if request.method == "POST" and appointment.status.value == "cancelled":
                return redirect(url_for("portal.manage_page", token=token))
            return view(token, appointment)

    return public(wrapped)


def _claims(appointment) -> LinkClaims:
    return LinkClaims(appointment.patient_id, appointment.id)


def _choices(appointment) -> list[tuple[str, str]]:
    from clinic.dates import day_and_time

    lang = appointment.patient.language or "en"
    return [(s.isoformat(), day_and_time(s, appointment.site.tz, lang)) for s in manage.offered_starts(appointment)]


def _page(token, appointment, status=200, **forms):
    if appointment.status.value == "cancelled":
        return render_template("portal/manage_cancelled.html", appointment=appointment, site=appointment.site)
    other = forms.get("other") or OtherTimeForm(prefix="other")
    other.starts.choices = other.starts.choices or _choices(appointment)
    rows = db.session.query(Reminder).filter(Reminder.appointment_id == appointment.id).order_by(Reminder.send_at)
    page = render_template(
        "portal/manage.html", token=token, appointment=appointment, site=appointment.site,
        patient=appointment.patient, can_cancel=manage.can_cancel(appointment), cutoff=manage.cutoff(appointment),
        cancel_form=forms.get("cancel") or ManageCancelForm(prefix="cancel"),
        request_form=forms.get("request") or CancelRequestForm(prefix="request"), other_form=other,
        optout_form=OptOutForm(prefix="optout"), pending=services.open_cancellation(appointment),
        reminders=list(rows))
    return page, status


def _done(appointment, message: str):
    return render_template("portal/done.html", site=appointment.site, message=message)


@bp.route("/p/m/<token>")
@manage_link
def manage_page(token, appointment):
    return _page(token, appointment)


@bp.route("/p/m/<token>/invite.ics")
@manage_link
def manage_invite(token, appointment):
    method = "CANCEL" if appointment.status.value == "cancelled" else "REQUEST"
    body = invite(appointment, appointment.patient.language or "en", method)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": "attachment; filename=appointment.ics", "Cache-Control": "no-store"})


@bp.route("/p/m/<token>/cancel", methods=["POST"])
@manage_link
def manage_cancel(token, appointment):
    form = ManageCancelForm(prefix="cancel")
    if not form.validate_on_submit():
        return _page(token, appointment, 422, cancel=form)
    try:
        manage.cancel(appointment, form.reason.data.strip())
    except DomainError:
        db.session.rollback()
        flash(_("It is too late to cancel here; please call us or send a request."), "error")
        return redirect(url_for("portal.manage_page", token=token))
    return redirect(url_for("portal.manage_page", token=token))


@bp.route("/p/m/<token>/request", methods=["POST"])
@manage_link
def manage_request(token, appointment):
    form = CancelRequestForm(prefix="request")
    if not form.validate_on_submit():
        return _page(token, appointment, 422, request=form)
    try:
        services.request_cancellation(_claims(appointment), form.note.data or "")
    except DomainError:
        db.session.rollback()
        flash(_("This appointment is no longer upcoming; please call us."), "error")
        return redirect(url_for("portal.manage_page", token=token))
    return _done(appointment, _("Your request was sent. The front desk will confirm the cancellation with you."))


@bp.route("/p/m/<token>/other-time", methods=["POST"])
@manage_link
def manage_other_time(token, appointment):
    form = OtherTimeForm(prefix="other")
    form.starts.choices = _choices(appointment)
    if not form.validate_on_submit():
        return _page(token, appointment, 422, other=form)
    try:
        manage.ask_other_time(appointment, [parse_instant(s) for s in form.starts.data], form.note.data or "")
    except DomainError:
        db.session.rollback()
        form.starts.errors = [_("Pick from one to three of the times offered.")]
        return _page(token, appointment, 422, other=form)
    return _done(appointment, _("Your request was sent. The front desk will confirm the new time with you."))


@bp.route("/p/m/<token>/optout", methods=["POST"])
@manage_link
def manage_optout(token, appointment):
    if not OptOutForm(prefix="optout").validate_on_submit():
        abort(400)
    services.opt_out(_claims(appointment))
    return _done(appointment, _(
        "Done: you will only receive the messages needed for your safety and your appointments."))


@bp.route("/patient-requests/<int:request_id>/times/<int:option_id>", methods=["POST"])
@requires("handle_requests")
def confirm_time(request_id: int, option_id: int):
    from clinic.accounts.forms import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        abort(400)
    writes.begin_write()
    row = services.mark_handled(request_id, current_actor(), visible_site_ids())
    if row.kind != "reschedule":
        abort(404)
    appointment = manage.confirm_time(row, option_id, current_actor())
    warnings = [str(w.get("code", "")) for w in appointment.warnings or []]
    flash(_("Appointment moved; the patient receives the new time.") +
          (" " + _("Check the warnings: %(codes)s", codes=", ".join(warnings)) if warnings else ""), "success")
    return redirect(url_for("portal.requests"))
