"""Procedure-day pages: the case with its checklist and its discharge clock (with the clock's
readings for the case page's script), check-in, the printable report, the day board per site and
date (with a fragment the board's script reloads), the printable day list, the physician's
worklist."""

from __future__ import annotations

import datetime as dt
import math

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clinic.access import ensure_site, requires
from clinic.db import utcnow
from clinic.errors import DomainError, error_body
from clinic.extensions import db
from clinic.procedures import board as board_service
from clinic.procedures import day_sheet, forms, services
from clinic.procedures.catalog import PAIN_SCALE
from clinic.procedures.serialize import item_json
from clinic.procedures.services import Case
from clinic.queryargs import date_arg
from clinic.scheduling import status as status_service
from clinic.scheduling.models import Appointment
from clinic.scheduling.views import change_once
from clinic.sites.models import Site
from clinic.templating import local_time
from clinic.tenancy import get_scoped_or_404
from clinic.timeutil import local_date

bp = Blueprint("procedures", __name__, url_prefix="/procedures")

@bp.context_processor
def helpers() -> dict:
    return {"discharge_time": discharge_time, "utc_iso": utc_iso, "answer_buttons": answer_buttons}


# A choice of more answers than this is a list to pick from, not a row of buttons.
BUTTONS_AT_MOST = 8


def answer_buttons(item, form) -> list[tuple[str, str]]:
    """The answers of an item given in one tap, as (value, text): yes or no, each choice, each pain
    score; none for an item typed in (a number, a text, the vital signs) or a long choice."""
    if item.type == "pain_score":
        return [(str(n), str(n)) for n in range(PAIN_SCALE[0], PAIN_SCALE[1] + 1)]
    if item.type == "yes_no" or (item.type == "choice" and len(item.choices) <= BUTTONS_AT_MOST):
        return [(str(value), str(text)) for value, text in form.value.choices if value != ""]
    return []


def discharge_time(instant: dt.datetime | None, tz) -> str:
    """The local time from which discharge is possible, to the minute: rounded up, so that the time
    shown is never before the instant (an end of procedure at 10:36:30 plus 15 minutes reads 10:52)."""
    if instant is None:
        return ""
    seconds = instant.second + instant.microsecond / 1_000_000
    return local_time(instant + dt.timedelta(seconds=math.ceil(seconds / 60) * 60 - seconds), tz)


def utc_iso(instant: dt.datetime | None) -> str:
    """An instant for the pages' scripts: ISO 8601 in UTC to the millisecond ("...T09:52:00.000Z")."""
    if instant is None:
        return ""
    return instant.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


BLOCK_MESSAGES = {
    "forbidden": _l("Recorded by another role."),
    "signed": _l("The record is signed."),
    "not_checked_in": _l("The patient is not checked in yet."),
    "out_of_order": _l("Complete the earlier phases first."),
    "monitoring_time": _l("Observation time not over yet."),
}


def _appointment(appointment_id: int) -> Appointment:
    appointment = get_scoped_or_404(Appointment, appointment_id)
    ensure_site(appointment.site_id)
    return appointment


def _language() -> str:
    return str(get_locale())


def _render_case(case: Case, now: dt.datetime, failed: str | None = None, error: DomainError | None = None,
                 status: int = 200, template: str = "procedures/case.html"):
    language = _language()
    item_forms, blocked = {}, {}
    for item in case.items:
        entry = case.entries.get(item.code)
        if item.code == failed:
            item_forms[item.code] = forms.make_form(item, language, formdata=request.form)
        else:
            item_forms[item.code] = forms.make_form(item, language, entry.value if entry else None)
        code, message = services.blocked_reason(case, item, current_user, now)
        if code:
            blocked[item.code] = _monitoring_message(case, now) if code == "monitoring_time" else BLOCK_MESSAGES.get(code, message)
    failed_item = case.item(failed) if failed else None
    in_view = failed_item.phase if failed_item else _phase_arg(case)
    return render_template(
        template, case=case, appointment=case.appointment, forms=item_forms, blocked=blocked,
        failed=failed, error=error, now=now, language=language, minutes_left=case.minutes_left(now),
        in_view=in_view, summaries=_summaries(case), sync_ms=current_app.config["CHECKLIST_SYNC_SECONDS"] * 1000,
    ), status


def _phase_arg(case: Case) -> str:
    """The phase in view: the one asked for (?phase=), else the first with a required item open."""
    asked = request.args.get("phase", "")
    return asked if any(p.code == asked for p in case.template.phases) else case.current_phase()


def _summaries(case: Case) -> dict[str, tuple[list[str], dt.datetime | None]]:
    """Per phase: who recorded its items (each name once, in order) and when its last item was recorded."""
    summaries = {}
    for phase in case.template.phases:
        entries = case.phase_entries(phase.code)
        names = list(dict.fromkeys(e.recorded_by.name for e in entries))
        summaries[phase.code] = (names, max((e.recorded_at for e in entries), default=None))
    return summaries


def _monitoring_message(case: Case, now: dt.datetime) -> str:
    return _("Discharge possible at %(time)s (minimum observation %(total)s min).",
             time=discharge_time(case.discharge_from, case.appointment.site.tz), total=case.observation_minutes)


@bp.route("/cases/<int:appointment_id>")
@requires("open_case")
def case(appointment_id: int):
    appointment = _appointment(appointment_id)
    now = utcnow()
    case = services.open_case(appointment, now)
    return _render_case(case, now)


@bp.route("/cases/<int:appointment_id>/body")
@requires("open_case")
def case_body(appointment_id: int):
    """The case page without its frame, for the page's script to put in place after an answer, or
    when the case changed on another tablet (static/js/checklist.js); ?phase= as on the page."""
    appointment = _appointment(appointment_id)
    now = utcnow()
    case = services.open_case(appointment, now)
    return _render_case(case, now, template="procedures/_case_body.html")


@bp.route("/cases/<int:appointment_id>/clock")
@requires("open_case")
def clock(appointment_id: int):
    """The discharge clock's reading, for the case page's script: the server's time, the earliest
    instant of discharge (and its local time as the page shows it), and whether the case is still
    under observation. The script counts from the offset between the two instants, so the tablet's
    own clock never matters."""
    appointment = _appointment(appointment_id)
    now = utcnow()
    case = services.refresh(services.load_case(appointment), now)
    cl = case.checklist
    return jsonify({
        "now": utc_iso(now),
        "discharge_from": utc_iso(case.discharge_from) or None,
        "time": discharge_time(case.discharge_from, appointment.site.tz),
        "minutes_left": case.minutes_left(now),
        "state": cl.state.value,
        "observing": cl.procedure_ended_at is not None and cl.discharged_at is None,
        "overridden": case.clock_overridden,
        "version": case.version,
    })


@bp.route("/cases/<int:appointment_id>/items/<item_code>", methods=["POST"])
@requires("record_checklist")
def record_item(appointment_id: int, item_code: str):
    """Record one item from its small form. A form posted by the page's script (Accept:
    application/json) is answered in JSON: the item as the API gives it, or the refusal with the
    fields in error; a form posted without the script redirects back to the case."""
    appointment = _appointment(appointment_id)
    now = utcnow()
    case = services.load_case(appointment)
    item = case.item(item_code) or abort(404)
    scripted = request.accept_mimetypes.best == "application/json"
    was_complete = case.phase_complete(item.phase)
    form = forms.make_form(item, _language(), formdata=request.form)
    if not form.validate_on_submit():
        db.session.rollback()
        error = DomainError("invalid_value", _("Please correct the marked field."),
                            {"fields": {f.short_name: [str(e) for e in f.errors] for f in form if f.errors}})
        if scripted:
            return _json_refusal(error, 422)
        return _render_case(services.load_case(_appointment(appointment_id)), now, item_code, error, 422)
    try:
        case, _entry = services.record(appointment, item_code, forms.value_of(item, form), current_user,
                                       override_reason=form.override_reason.data,
                                       amendment_reason=form.amendment_reason.data, now=now)
    except DomainError as err:
        db.session.rollback()
        if scripted:
            return _json_refusal(err, err.status)
        case = services.refresh(services.load_case(_appointment(appointment_id)), now)
        return _render_case(case, now, item_code, err, err.status)
    message = _("Recorded: %(item)s.", item=item.text(_language()))
    if scripted:
        body = item_json(case, item, _language(), current_user, now)
        return jsonify({"item": body, "state": case.checklist.state.value, "version": case.version, "message": message})
    flash(message, "success")
    # An answer that completes its phase moves the page on to the next one; a change to a phase
    # already complete (an update, an amendment) stays on it.
    in_view = item.phase if was_complete else case.current_phase()
    following = next((i.code for i in case.phase_items(in_view) if not case.is_done(i)), item_code)
    return redirect(url_for("procedures.case", appointment_id=appointment_id,
                            phase=in_view if was_complete else None, _anchor=f"item-{following}"))


def _json_refusal(err: DomainError, status: int):
    return jsonify(error_body(err.code, err.text, err.details)), status


def _safe_next(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/cases/<int:appointment_id>/check-in", methods=["POST"])
@requires("check_in")
def check_in(appointment_id: int):
    appointment = _appointment(appointment_id)
    from clinic.accounts.forms import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        abort(400)
    default = url_for("procedures.board", site=appointment.site.code,
                      date=local_date(appointment.start_at, appointment.site.tz).isoformat())
    name = appointment.patient.full_name
    change_once("check-in", appointment.id, lambda: status_service.check_in(appointment, current_user),
                _("%(name)s is checked in.", name=name), _("%(name)s was already checked in.", name=name))
    return redirect(_safe_next(default))


@bp.route("/cases/<int:appointment_id>/report")
@requires("open_case")
def report(appointment_id: int):
    appointment = _appointment(appointment_id)
    now = utcnow()
    case = services.open_case(appointment, now, action="checklist.report")
    language = appointment.site.language
    with force_locale(language):
        return render_template("procedures/report.html", case=case, appointment=appointment, language=language,
                               now=now)


# ---------------------------------------------------------------- day board, day list and worklist


def _board_args() -> tuple[Site, dt.date]:
    sites = list(current_user.sites) if not current_user.is_admin else db.session.scalars(
        db.select(Site).where(Site.active).order_by(Site.name)).all()
    code = request.args.get("site")
    site = next((s for s in sites if s.code == code), None) if code else (sites[0] if sites else None)
    if site is None:
        abort(404 if code else 403)
    ensure_site(site.id)
    return site, date_arg("date", lenient=True) or local_date(utcnow(), site.tz)


def _user_sites() -> list[Site]:
    if current_user.is_admin:
        return list(db.session.scalars(db.select(Site).where(Site.active).order_by(Site.name)))
    return list(current_user.sites)


@bp.route("/board")
@requires("view_schedule")
def board():
    site, day = _board_args()
    data = board_service.day_board(site, day, utcnow())
    refresh = request.args.get("refresh", 30, type=int) or 30
    return render_template("procedures/board.html", board=data, sites=_user_sites(), now=utcnow(),
                           refresh_ms=min(max(refresh, 2), 300) * 1000)


@bp.route("/board/fragment")
@requires("view_schedule")
def board_fragment():
    site, day = _board_args()
    data = board_service.day_board(site, day, utcnow())
    return render_template("procedures/_board_table.html", board=data, now=utcnow())


@bp.route("/day-list")
@requires("view_schedule")
def day_list():
    """A site's appointments of a day, to print for the front desk: with the site's header and each
    appointment's flags (blood thinner, sedation, diabetes, allergy) and phone, in the reader's language."""
    site, day = _board_args()
    language = _language()
    return render_template("scheduling/day_print.html", site=site, day=day, lines=day_sheet.day_lines(site, day, language),
                           sites=_user_sites(), now=utcnow(), language=language,
                           previous_day=day - dt.timedelta(days=1), next_day=day + dt.timedelta(days=1))


@bp.route("/my-day")
@requires("my_day")
def worklist():
    tz = current_user.sites[0].tz if current_user.sites else dt.UTC
    day = date_arg("date", lenient=True) or local_date(utcnow(), tz)
    now = utcnow()
    cases = board_service.worklist(current_user, day, now)
    return render_template("procedures/worklist.html", cases=cases, day=day, now=now)
