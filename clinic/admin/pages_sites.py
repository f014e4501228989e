"""Admin pages: sites, their calendar (holidays, closures, openings) and their rooms."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clinic.access import requires
from clinic.accounts.forms import ConfirmForm
from clinic.admin.forms import ExceptionForm, RoomForm, SiteForm
from clinic.admin.views import affected_rows, bp, show_errors
from clinic.catalog.neutral import short_address
from clinic.errors import ValidationFailed
from clinic.extensions import db
from clinic.scheduling.affected import AppointmentsAffected, audit_reads
from clinic.sites import rooms as room_services
from clinic.sites import services as site_services
from clinic.sites.models import Site, SiteCalendarException
from clinic.tenancy import get_scoped_or_404, scoped


def _site(site_id: int) -> Site:
    return get_scoped_or_404(Site, site_id)


@bp.route("/sites")
@requires("manage_sites")
def sites():
    rows = db.session.execute(scoped(Site).order_by(Site.name)).scalars().all()
    return render_template("admin/sites.html", sites=rows)


def _site_input(form: SiteForm) -> site_services.SiteInput:
    return site_services.SiteInput(
        name=form.name.data.strip(), address=(form.address.data or "").strip(), phone=(form.phone.data or "").strip(),
        timezone=form.timezone.data.strip(), country=form.country.data.strip().upper(),
        subdivision=(form.subdivision.data or "").strip().upper() or None, language=form.language.data,
        policy=form.policy.data, turnover_minutes=form.turnover_minutes.data, horizon_days=form.horizon_days.data,
        min_notice_hours=form.min_notice_hours.data, slot_interval_minutes=form.slot_interval_minutes.data,
        quiet_start=form.quiet_start.data, quiet_end=form.quiet_end.data,
        mail_name=(form.mail_name.data or "").strip(),
    )


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@requires("manage_sites")
def edit_site(site_id: int):
    site = _site(site_id)
    form = SiteForm(obj=site) if request.method == "GET" else SiteForm()
    if form.validate_on_submit():
        try:
            site_services.update_site(site, _site_input(form))
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err)
        else:
            flash(_("Site %(name)s saved.", name=site.name), "success")
            return redirect(url_for("admin.site_calendar", site_id=site.id))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "error")
    return render_template("admin/site_form.html", form=form, site=site, short_address=short_address), \
        422 if form.errors else 200


def _render_calendar(site: Site, form: ExceptionForm, affected=None, status: int = 200):
    holidays, exceptions = site_services.coming_calendar(site)
    return render_template("admin/site_calendar.html", site=site, form=form, holidays=holidays,
                           exceptions=exceptions, affected=affected or []), status


@bp.route("/sites/<int:site_id>/calendar", methods=["GET", "POST"])
@requires("manage_sites")
def site_calendar(site_id: int):
    site = _site(site_id)
    form = ExceptionForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            flash(_("Please correct the marked fields."), "error")
            return _render_calendar(site, form, status=422)
        return _render_calendar(site, form)
    try:
        site_services.add_exception(site, form.day.data, form.kind.data, form.start_time.data, form.end_time.data,
                                    form.reason.data or "", confirm=form.confirm.data, user_id=current_user.id)
    except AppointmentsAffected as err:
        return _render_calendar(site, form, affected_rows(err), 409)
    except ValidationFailed as err:
        db.session.rollback()
        show_errors(form, err)
        return _render_calendar(site, form, status=422)
    flash(_("Calendar saved."), "success")
    return redirect(url_for("admin.site_calendar", site_id=site.id))


@bp.route("/sites/<int:site_id>/calendar/<int:exception_id>/remove", methods=["GET", "POST"])
@requires("manage_sites")
def remove_exception(site_id: int, exception_id: int):
    site = _site(site_id)
    exception = db.session.get(SiteCalendarException, exception_id)
    if exception is None or exception.site_id != site.id:
        abort(404)
    form, affected = ConfirmForm(), []
    if form.validate_on_submit():
        try:
            site_services.remove_exception(site, exception_id, confirm=request.form.get("confirm") == "y",
                                           user_id=current_user.id)
        except AppointmentsAffected as err:
            affected = affected_rows(err)
        else:
            flash(_("Calendar entry removed."), "success")
            return redirect(url_for("admin.site_calendar", site_id=site.id))
    return render_template("admin/confirm.html", form=form, affected=affected,
                           question=_("Remove the entry of %(day)s (%(reason)s) from %(site)s's calendar?",
                                      day=exception.day.isoformat(), reason=exception.reason or "—", site=site.name),
                           back=url_for("admin.site_calendar", site_id=site.id)), 409 if affected else 200


@bp.route("/sites/<int:site_id>/rooms")
@requires("manage_sites")
def rooms(site_id: int):
    return render_template("admin/rooms.html", site=_site(site_id), form=ConfirmForm(), blocked=None)


@bp.route("/sites/<int:site_id>/rooms/new", methods=["GET", "POST"])
@bp.route("/sites/<int:site_id>/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@requires("manage_sites")
def room_form(site_id: int, room_id: int | None = None):
    site = _site(site_id)
    room = room_services.get_room(site, room_id) if room_id else None
    form = RoomForm(obj=room) if request.method == "GET" and room else RoomForm()
    if form.validate_on_submit():
        try:
            if room is None:
                room_services.create_room(site, form.name.data, form.modalities.data or [])
            else:
                room_services.update_room(room, form.name.data, form.modalities.data or [])
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err)
        else:
            flash(_("Room saved."), "success")
            return redirect(url_for("admin.rooms", site_id=site.id))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "error")
    return render_template("admin/room_form.html", form=form, site=site, room=room), 422 if form.errors else 200


@bp.route("/sites/<int:site_id>/rooms/<int:room_id>/<action>", methods=["POST"])
@requires("manage_sites")
def room_active(site_id: int, room_id: int, action: str):
    if action not in ("activate", "deactivate"):
        abort(404)
    site = _site(site_id)
    room = room_services.get_room(site, room_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        room_services.set_active(room, action == "activate")
    except room_services.RoomHasBookings as err:
        db.session.rollback()
        appointments = err.appointments
        audit_reads(appointments, "appointment.read_room_bookings")
        flash(_("%(room)s still has %(num)s coming booking(s): move them first.", room=room.name,
                num=len(appointments)), "error")
        return render_template("admin/rooms.html", site=site, form=form, blocked=(room, appointments)), 409
    flash(_("Room %(name)s is active.", name=room.name) if room.active
          else _("Room %(name)s is deactivated.", name=room.name), "success")
    return redirect(url_for("admin.rooms", site_id=site.id))
