"""Front-desk pages: book from a patient's page through a week view, confirm after seeing the
screening warnings, then reschedule, cancel, check in or mark a no-show; the day's list per site."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from clinic.access import current_actor, ensure_site, requires, signed_in_actor
from clinic.accounts.models import Role, User
from clinic.catalog import load_procedures
from clinic.catalog.medicines import pick_list
from clinic.db import utcnow
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.patients.forms import medication_entries, rows_on_file, rows_posted
from clinic.patients.services import get_patient
from clinic.scheduling import form_keys, reads, resend, services, status, writes
from clinic.scheduling.forms import BookingForm, CancelForm, DayForm, RescheduleForm
from clinic.scheduling.models import Appointment, AppointmentChange
from clinic.scheduling.week import week_of
from clinic.screening.preparation import fmt_local
from clinic.screening.sheet import render_sheet
from clinic.sites.models import Room, Site
from clinic.timeutil import local_date, parse_instant

bp = Blueprint("scheduling", __name__, url_prefix="/appointments")


@bp.app_context_processor
def labels() -> dict:
    return {"new_form_key": form_keys.new_key}  # a form that changes an appointment carries one


# Refusals whose service message is for machines: the page says them in the reader's language.
PAGE_MESSAGES = {
    "patient_busy": _l("This patient already has an appointment at an overlapping time. Choose another time."),
    "conflict_retry": _l("This appointment was changed by someone else meanwhile. Look at it again, then retry."),
    "not_to_prepare": _l("This appointment is cancelled or over: there is no preparation to send."),
    "appointment_past": _l("This appointment has already started: there is no preparation to send."),
    "no_email": _l("The patient has no e-mail address: print the preparation sheet and give it to them."),
    "idempotency_key_reused": _l("This form was already used for another change. Open the page again, then retry."),
}


@bp.app_template_filter("hold_when")
def hold_when(value: str | None, site: Site) -> str:
    """A hold's stored stop or restart (a local date, or an instant with its offset) for the reader."""
    try:
        return fmt_local(value, site.tz, str(get_locale()))
    except ValueError:
        return ""   # never a raw value on a page: the hold's note says what to do


# A refusal said in the words of the form that met it ("form:code").
FORM_MESSAGES = {
    "no-show:invalid_state": _l("A no-show is recorded only for a booked appointment, once its start has passed."),
}


def _refusal(err: DomainError, form: str = "") -> str:
    return str(FORM_MESSAGES.get(f"{form}:{err.code}") or PAGE_MESSAGES.get(err.code, err.text))


def _sites() -> list[Site]:
    user = signed_in_actor()
    stmt = sa.select(Site).where(Site.active.is_(True)).order_by(Site.name)
    ids = user.site_ids()
    if ids is not None:
        stmt = stmt.where(Site.id.in_(ids))
    return list(db.session.execute(stmt).scalars())


def _physicians(site: Site) -> list[User]:
    return list(db.session.execute(sa.select(User).where(
        User.role == Role.PHYSICIAN, User.active.is_(True), User.sites.any(Site.id == site.id)).order_by(User.name)).scalars())


def _physician_choices(form, site: Site) -> None:
    form.physician.choices = [("", _("Any physician"))] + [(str(u.id), u.name) for u in _physicians(site)]


def _int_or_none(value: str | None) -> int | None:
    """An id typed or chosen in a form; None when it is not one (or too large for a database id)."""
    number = int(value) if value and value.isdigit() else None
    return number if number is not None and number <= 2**31 - 1 else None


def _chosen_start(site: Site) -> dt.datetime | None:
    raw = request.form.get("start", "")
    if request.form.get("back"):
        return None
    try:
        return parse_instant(raw) if raw else None
    except (ValueError, OverflowError):
        flash(_("That time could not be read; please pick a slot again."), "error")
        return None


def _default_week(site: Site) -> dt.date:
    return local_date(utcnow() + dt.timedelta(hours=site.min_notice_hours), site.tz)


def _goto(form) -> None:
    """Week navigation buttons post `goto` with the Monday to show."""
    goto = request.form.get("goto")
    if goto:
        try:
            form.week.data = dt.date.fromisoformat(goto)
        except ValueError:
            form.week.data = None


def _booking_form(patient) -> tuple[BookingForm, Site]:
    sites = _sites()
    if not sites:
        abort(403)
    form = BookingForm()
    if not rows_posted(form.medications, request.form):  # the medicines on file, to check with the patient
        rows_on_file(form.medications, patient.medications)
    lang = str(get_locale())
    form.site.choices = [(s.code, s.name) for s in sites]
    form.procedure.choices = [(p.code, p.label(lang)) for p in load_procedures().values()]
    site = next((s for s in sites if s.code == form.site.data), sites[0])
    _physician_choices(form, site)
    _goto(form)
    if form.week.data is None:
        form.week.data = _default_week(site)
    return form, site


def _input(form: BookingForm, patient, site: Site) -> services.BookingInput:
    return services.BookingInput(
        patient=patient, site=site, procedure_code=form.procedure.data, start_at=_chosen_start(site),
        physician_id=_int_or_none(form.physician.data), region=form.region.data or None,
        side=form.side.data or None, levels=form.levels_list(), sedation=bool(form.sedation.data),
        answers=form.answers(), override_reason=(form.override_reason.data or "").strip() or None,
        medications=medication_entries(form.medications),
    )


@bp.route("/book/<int:patient_id>", methods=["GET", "POST"])
@requires("book")
def book(patient_id: int):
    if request.method == "POST" and request.form.get("confirm"):
        writes.begin_write()
    patient = get_patient(patient_id) or abort(404)
    form, site = _booking_form(patient)
    context = {"form": form, "patient": patient, "site": site, "week": None, "medicine_names": pick_list()}
    if request.method == "GET":
        return render_template("scheduling/book.html", **context)
    if not form.validate():
        flash(_("Please correct the marked fields."), "error")
        return render_template("scheduling/book.html", **context), 422
    ensure_site(site.id)
    inp = _input(form, patient, site)
    code = 200
    if inp.start_at is not None and request.form.get("confirm"):
        done, code = change_once("book-page", patient.id, lambda: services.book(inp, current_actor()),
                           _("Appointment booked."), _("This booking was already made: here it is."))
        if done is not None:
            return done
    elif inp.start_at is not None:
        try:
            slot, result = services.preview(inp, current_actor())
        except DomainError as err:
            flash(_refusal(err), "error")
            code = err.status
        else:
            return _confirm_page(form, inp, slot, result, url_for("scheduling.book", patient_id=patient.id),
                                 medicines=[d for d, _ in inp.medications or ()])
    context["week"] = week_of(site, form.procedure.data, form.week.data, _int_or_none(form.physician.data))
    return render_template("scheduling/book.html", **context), code


def _confirm_page(form, inp: services.BookingInput, slot, result, action: str, **extra):
    """The step before a booking or a move is written: what will be booked, where, by whom, when on
    the site's clock, and the screening's warnings with each medicine's stop and restart dates."""
    return render_template("scheduling/confirm.html", form=form, patient=inp.patient, site=inp.site, slot=slot,
                           result=result, physician=db.session.get(User, slot.physician_id),
                           room=db.session.get(Room, slot.room_id), details=inp,
                           procedure=load_procedures().get(inp.procedure_code), action=action,
                           form_key=form_keys.new_key(), **extra)


def _done_before(key: str | None, form: str, subject_id: int, message: str):
    """The redirect to the appointment this form already changed (a resubmission), or None."""
    if not form_keys.valid(key):
        return None
    appointment_id = form_keys.done_with(signed_in_actor().id, key, form, subject_id)
    if appointment_id is None:
        return None
    flash(message, "success")
    return redirect(url_for("scheduling.show", appointment_id=appointment_id))


def change_once(form: str, subject_id: int, write, done: str, again: str):
    """Make a form's change once per key (post-redirect-get): the redirect to the appointment, or
    None and the refusal's status. A resubmission, or its twin that lost the race, finds the change
    made and shows the appointment as it is now, with `again` said."""
    key = request.form.get(form_keys.FIELD)
    try:
        before = _done_before(key, form, subject_id, again)
        if before is not None:
            return before, 302
        appt = write()
        if form_keys.valid(key):
            form_keys.remember(signed_in_actor().id, key, form, subject_id, appt.id)
        db.session.flush()  # a twin's key, or a rival's change, is refused here; the request commits
    except (DomainError, IntegrityError) as err:
        db.session.rollback()
        refusal = err
        try:
            before = _done_before(key, form, subject_id, again)  # a twin submission of this form won
        except DomainError as reused:  # the key is another form's: said on the page, nothing done
            before, refusal = None, reused
        if before is not None:
            return before, 302
        if not isinstance(refusal, DomainError):
            raise
        flash(_refusal(refusal, form), "error")
        return None, refusal.status
    flash(done, "success")
    return redirect(url_for("scheduling.show", appointment_id=appt.id)), 302


def _appointment(appointment_id: int, action: str = "appointment.read"):
    appt = reads.get_appointment(appointment_id, action) or abort(404)
    ensure_site(appt.site_id)
    return appt


@bp.route("/<int:appointment_id>")
@requires("view_schedule")
def show(appointment_id: int):
    appt = _appointment(appointment_id)
    history = db.session.execute(sa.select(AppointmentChange).where(AppointmentChange.appointment_id == appt.id)
                                 .order_by(AppointmentChange.at, AppointmentChange.id)).scalars().all()
    people = {u.id: u.name for u in db.session.execute(sa.select(User).where(User.id.in_(
        {c.user_id for c in history} | {c.new_physician_id for c in history} | {appt.physician_id}))).scalars()}
    now, tz = utcnow(), appt.site.tz
    return render_template("scheduling/show.html", appt=appt, history=history, people=people,
                           procedure=load_procedures().get(appt.procedure_code),
                           started=appt.start_at <= now,     # a no-show only once the start has passed
                           on_the_day=local_date(now, tz) == local_date(appt.start_at, tz))


@bp.route("/<int:appointment_id>/preparation")
@requires("view_schedule")
def preparation_sheet(appointment_id: int):
    """The printable preparation sheet of an appointment, in the patient's language (read audited)."""
    appt = _appointment(appointment_id, "appointment.preparation_sheet")
    html = render_sheet(appt)   # escaped by its own template
    return render_template("screening/sheet.html", appointment=appt, sheet_html=html)


def _move_site(appt, form: RescheduleForm) -> Site:
    """The site chosen for the move: one of the appointment's organisation the reader works at (the
    posted code of any other site, another organisation's included, is a 404)."""
    own = [s for s in _sites() if s.organisation_id == appt.site.organisation_id]
    if appt.site not in own:
        own.insert(0, appt.site)
    form.site.choices = [(s.code, s.name) for s in own]
    code = form.site.data or appt.site.code
    site = next((s for s in own if s.code == code), None) or abort(404)
    form.site.data = site.code
    ensure_site(site.id)
    _physician_choices(form, site)
    if form.physician.data and form.physician.data not in {value for value, _label in form.physician.choices}:
        form.physician.data = ""   # a physician of the site left: any physician of the new one
    return site


@bp.route("/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@requires("reschedule")
def reschedule(appointment_id: int):
    if request.method == "POST" and request.form.get("confirm"):
        writes.begin_write()
    appt = _appointment(appointment_id, "appointment.read_for_reschedule")
    form = RescheduleForm()
    site = _move_site(appt, form)
    _goto(form)
    if form.week.data is None:
        form.week.data = max(_default_week(site), local_date(appt.start_at, site.tz)) if request.method == "GET" else _default_week(site)
    code = 200
    start = _chosen_start(site) if request.method == "POST" and form.validate() else None
    physician_id = _int_or_none(form.physician.data)
    if start is not None and request.form.get("confirm"):
        done, code = change_once("reschedule-page", appt.id,
                           lambda: services.reschedule(appt, start, current_actor(), physician_id, site=site),
                           _("Appointment moved."), _("This change was already made: here is the appointment as it is now."))
        if done is not None:
            return done
        appt = _appointment(appointment_id)
        site = _move_site(appt, form)
    elif start is not None:
        try:
            slot, result = services.preview_reschedule(appt, start, physician_id, site)
        except DomainError as err:
            flash(_refusal(err), "error")
            code = err.status
        else:
            inp = services.BookingInput(patient=appt.patient, site=site, procedure_code=appt.procedure_code,
                                        start_at=start, region=appt.region, side=appt.side,
                                        levels=tuple(appt.levels or ()), sedation=appt.sedation)
            return _confirm_page(form, inp, slot, result, url_for("scheduling.reschedule", appointment_id=appt.id),
                                 appt=appt)
    week = week_of(site, appt.procedure_code, form.week.data, physician_id, exclude_appointment_id=appt.id)
    return render_template("scheduling/reschedule.html", appt=appt, form=form, site=site, week=week), code


@bp.route("/<int:appointment_id>/cancel", methods=["GET", "POST"])
@requires("cancel")
def cancel(appointment_id: int):
    if request.method == "POST":
        writes.begin_write()
    appt = _appointment(appointment_id)
    form = CancelForm()
    code = 200
    if form.validate_on_submit():
        done, _code = change_once("cancel-page", appt.id, lambda: services.cancel(appt, form.reason.data, current_actor()),
                            _("Appointment cancelled."), _("This appointment was already cancelled: here it is."))
        return done or redirect(url_for("scheduling.show", appointment_id=appointment_id))
    if request.method == "POST":
        flash(_("Please give a reason."), "error")
        code = 422
    return render_template("scheduling/cancel.html", appt=appt, form=form,
                           form_key=request.form.get(form_keys.FIELD) or form_keys.new_key()), code


def _status_action(appointment_id: int, form: str, change, done: str, again: str):
    writes.begin_write()
    appt = _appointment(appointment_id, "appointment.status")
    change_once(form, appt.id, lambda: change(appt, current_actor()), done, again)
    return redirect(url_for("scheduling.show", appointment_id=appointment_id))


@bp.route("/<int:appointment_id>/check-in", methods=["POST"])
@requires("check_in")
def check_in(appointment_id: int):
    return _status_action(appointment_id, "check-in", status.check_in, _("Patient checked in."),
                          _("The patient was already checked in: here is the appointment as it is now."))


@bp.route("/<int:appointment_id>/resend-preparation", methods=["POST"])
@requires("book")
def resend_preparation(appointment_id: int):
    """E-mail the confirmation with the preparation sheet and the calendar invitation again."""
    return _status_action(appointment_id, "resend-preparation", resend.resend_preparation,
                          _("The preparation sheet and the calendar invitation are on their way to the patient again."),
                          _("This preparation was already sent again: here is the appointment."))


@bp.route("/<int:appointment_id>/no-show", methods=["POST"])
@requires("no_show")
def no_show(appointment_id: int):
    return _status_action(appointment_id, "no-show", status.mark_no_show, _("Marked as no-show."),
                          _("This appointment was already marked as a no-show: here it is."))


@bp.route("/<int:appointment_id>/no-show/undo", methods=["POST"])
@requires("no_show")
def undo_no_show(appointment_id: int):
    return _status_action(appointment_id, "undo-no-show", status.undo_no_show,
                          _("No-show undone: the appointment is booked again."),
                          _("This no-show was already undone: here is the appointment as it is now."))


@bp.route("/")
@requires("view_schedule")
def day():
    sites = _sites()
    form = DayForm(request.args)
    form.site.choices = [(s.code, s.name) for s in sites]
    site = next((s for s in sites if s.code == form.site.data), sites[0] if sites else None)
    appts = []
    status = 200
    if site is not None:
        form.site.data = site.code
        if not form.validate():
            status = 422  # the marked field says why; today's list is shown meanwhile
        if status == 422 or form.day.data is None:
            form.day.data = local_date(utcnow(), site.tz)
        # The patient and room of each row come in the list's own statement.
        appts = reads.day_list(site, form.day.data, load=(joinedload(Appointment.patient), joinedload(Appointment.room)))
    return render_template("scheduling/day.html", form=form, site=site, appts=appts,
                           physicians={u.id: u.name for u in _physicians(site)} if site else {}), status
