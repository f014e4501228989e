"""Admin pages: physicians' working hours, time off and week calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clinic.access import requires
from clinic.accounts.forms import ConfirmForm
from clinic.accounts.models import User
from clinic.admin.forms import WEEKDAYS, ScheduleForm, TimeOffForm
from clinic.admin.views import affected_rows, bp, show_errors
from clinic.db import utcnow
from clinic.errors import ValidationFailed
from clinic.extensions import db
from clinic.queryargs import date_arg
from clinic.scheduling import staffing
from clinic.scheduling.affected import AppointmentsAffected
from clinic.scheduling.hours_week import week
from clinic.sites.models import Site
from clinic.timeutil import local_to_utc


def _physician(physician_id: int) -> User:
    return staffing.get_physician(physician_id)


def _site_of(physician: User, site_id: int | None) -> Site:
    """The physician's site named in the request, or their first site."""
    if not physician.sites:
        abort(404)
    if site_id is None:
        return physician.sites[0]
    return next((s for s in physician.sites if s.id == site_id), None) or abort(404)


def _fmt(intervals) -> str:
    return ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in intervals)


@bp.route("/physicians")
@requires("manage_staffing")
def physicians():
    return render_template("admin/physicians.html", physicians=staffing.physicians())


@bp.route("/physicians/<int:physician_id>/hours", methods=["GET", "POST"])
@requires("manage_staffing")
def hours(physician_id: int):
    physician = _physician(physician_id)
    site = _site_of(physician, request.values.get("site", type=int))
    today = utcnow().astimezone(site.tz).date()
    form = ScheduleForm()
    form.site.choices = [(s.id, s.name) for s in physician.sites]
    if request.method == "GET":
        form.site.data, form.valid_from.data = site.id, today
        for weekday, intervals in staffing.current_schedule(physician.id, site.id, today).items():
            getattr(form, f"day{weekday}").data = _fmt(intervals)
    affected, status = [], 200
    if form.validate_on_submit():
        try:
            staffing.set_schedule(physician, site, form.valid_from.data, form.pattern(),
                                  confirm=form.confirm.data, user_id=current_user.id)
        except AppointmentsAffected as err:
            affected, status = affected_rows(err), 409
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err)
        else:
            flash(_("Working hours of %(name)s at %(site)s saved from %(day)s.", name=physician.name,
                    site=site.name, day=form.valid_from.data.isoformat()), "success")
            return redirect(url_for("admin.week_view", physician_id=physician.id, site=site.id,
                                    start=form.valid_from.data.isoformat()))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "error")
    if form.errors:
        status = 422
    return render_template("admin/hours.html", form=form, physician=physician, site=site,
                           affected=affected), status


def _time_off_bounds(form: TimeOffForm, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start_time, end_time = form.start_time.data, form.end_time.data
    if (start_time is None) != (end_time is None):
        raise ValidationFailed({"end_time": "Give both times for part of a day, or neither for whole days."})
    if start_time is None:
        return (local_to_utc(form.start_date.data, dt.time(0), tz),
                local_to_utc(form.end_date.data + dt.timedelta(days=1), dt.time(0), tz))
    return local_to_utc(form.start_date.data, start_time, tz), local_to_utc(form.end_date.data, end_time, tz)


@bp.route("/physicians/<int:physician_id>/time-off", methods=["GET", "POST"])
@requires("manage_staffing")
def time_off(physician_id: int):
    physician = _physician(physician_id)
    form = TimeOffForm()
    form.site.choices = [(0, _("All sites")), *((s.id, s.name) for s in physician.sites)]
    affected, status = [], 200
    if form.validate_on_submit():
        site = _site_of(physician, form.site.data) if form.site.data else None
        tz = (site or (physician.sites[0] if physician.sites else None))
        try:
            start, end = _time_off_bounds(form, tz.tz if tz else ZoneInfo("UTC"))
            staffing.add_time_off(physician, start, end, form.reason.data or "", site,
                                  confirm=form.confirm.data, user_id=current_user.id)
        except AppointmentsAffected as err:
            affected, status = affected_rows(err), 409
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err, {"end": "end_date", "location": "site"})
        else:
            flash(_("Time off saved for %(name)s.", name=physician.name), "success")
            return redirect(url_for("admin.time_off", physician_id=physician.id))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "error")
    if form.errors:
        status = 422
    return render_template("admin/time_off.html", form=form, physician=physician, affected=affected,
                           absences=staffing.time_off_list(physician), confirm_form=ConfirmForm()), status


@bp.route("/physicians/<int:physician_id>/time-off/<int:time_off_id>/remove", methods=["GET", "POST"])
@requires("manage_staffing")
def remove_time_off(physician_id: int, time_off_id: int):
    physician = _physician(physician_id)
    absence = next((t for t in staffing.time_off_list(physician, dt.datetime.min.replace(tzinfo=dt.UTC))
                    if t.id == time_off_id), None) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        staffing.remove_time_off(physician, time_off_id)
        flash(_("Time off removed."), "success")
        return redirect(url_for("admin.time_off", physician_id=physician.id))
    tz = physician.sites[0].tz if physician.sites else ZoneInfo("UTC")
    question = _("Remove the time off of %(name)s from %(start)s to %(end)s?", name=physician.name,
                 start=absence.start_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                 end=absence.end_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
    return render_template("admin/confirm.html", form=form, affected=[], question=question,
                           back=url_for("admin.time_off", physician_id=physician.id))


@bp.route("/physicians/<int:physician_id>/week")
@requires("rearrange")
def week_view(physician_id: int):
    physician = _physician(physician_id)
    if not current_user.is_admin and not any(current_user.can_access_site(s.id) for s in physician.sites):
        abort(403)
    site = _site_of(physician, request.args.get("site", type=int))
    if not current_user.can_access_site(site.id):
        abort(403)
    start = date_arg("start", lenient=True) or utcnow().astimezone(site.tz).date()
    days = week(physician, site, start)
    return render_template("admin/week.html", physician=physician, site=site, days=days, weekdays=WEEKDAYS,
                           previous=days[0].date - dt.timedelta(days=7), next=days[0].date + dt.timedelta(days=7))
