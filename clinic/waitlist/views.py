"""The waiting list's pages: a site's list in order of waiting with each entry's freed times, putting
a patient on it, booking a freed time in one click (after the confirm step and its warnings) or
sending the patient a first-come offer; and the patient's own offer page, reached by its link."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from clinic.access import current_actor, ensure_site, public, requires, signed_in_actor
from clinic.accounts.models import Role, User
from clinic.audit.services import record, record_shown
from clinic.catalog import load_procedures
from clinic.errors import Conflict, DomainError
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.queryargs import page_arg
from clinic.reminders.composers import locale_of
from clinic.scheduling import services as booking
from clinic.scheduling import writes
from clinic.sites.models import Room, Site
from clinic.tenancy import get_scoped_or_404
from clinic.timeutil import parse_instant
from clinic.waitlist import offer_mail, services
from clinic.waitlist.forms import STATUS_LABELS, TIME_LABELS, ActionForm, EntryForm, SlotForm
from clinic.waitlist.models import OPEN_STATUSES, WaitingEntry

bp = Blueprint("waitlist", __name__, url_prefix="/waiting-list")
PER_PAGE = 25
OFFERS_SHOWN = 5

# The services' refusals, said in the reader's language: of a new entry (by form field), of a booking (by code).
FIELD_ERRORS = {
    "to_date": _l("The last day comes on or after the first, and has not passed yet."),
    "site": _l("This site belongs to another organisation than the patient's."),
    "physician": _l("Not a physician of this site."),
    "procedure": _l("Unknown procedure."),
}
SERVICE_FIELDS = {"to": "to_date", "location": "site", "physician_id": "physician", "procedure": "procedure"}
BOOKING_REFUSALS = {
    "slot_unavailable": _l("This time is no longer free."),
    "patient_busy": _l("This patient already has an appointment at an overlapping time. Choose another time."),
    "outside_booking_window": _l("This time is outside the booking window of the site."),
}


@bp.app_context_processor
def labels() -> dict:
    return {"waitlist_time_labels": TIME_LABELS, "waitlist_status_labels": STATUS_LABELS}


def _sites() -> list[Site]:
    stmt = sa.select(Site).where(Site.active.is_(True)).order_by(Site.name)
    ids = signed_in_actor().site_ids()
    if ids is not None:
        stmt = stmt.where(Site.id.in_(ids or {-1}))
    return list(db.session.scalars(stmt))


def _physicians(site: Site) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(
        User.role == Role.PHYSICIAN, User.active.is_(True), User.sites.any(Site.id == site.id)).order_by(User.name)))


def _entry(entry_id: int) -> WaitingEntry:
    entry = get_scoped_or_404(WaitingEntry, entry_id)
    ensure_site(entry.site_id)
    return entry


@bp.route("/")
@requires("waiting_list")
def index():
    sites = _sites()
    if not sites:
        abort(403)
    site = next((s for s in sites if s.code == request.args.get("site")), sites[0])
    q = (request.args.get("q") or "").strip()[:100]
    freed_only = request.args.get("freed") == "1"
    entries = list(db.session.scalars(services.waiting_at(site, q)))
    if freed_only:   # every entry's freed times are needed to know which to keep
        every = services.offers_for_each(entries)
        rows = [(e, every[e.id]) for e in entries if every[e.id]]
    else:
        rows = [(e, []) for e in entries]
    page = page_arg()
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(page, pages)
    rows = rows[(page - 1) * PER_PAGE:page * PER_PAGE]
    offers = {e.id: found for e, found in rows} if freed_only else services.offers_for_each([e for e, _ in rows])
    shown = [(e, offers[e.id]) for e, _ in rows]
    total = len(rows)
    record_shown("waiting_list.read", [(e.patient_id, None) for e, _ in shown], {"site": site.code})
    rooms = dict(db.session.execute(sa.select(Room.id, Room.name).where(Room.site_id == site.id)).tuples().all())
    doctors = {u.id: u.name for u in _physicians(site)}
    return render_template("waitlist/index.html", sites=sites, site=site, rows=shown, q=q, freed_only=freed_only,
                           page=page, pages=pages, total=total, rooms=rooms, doctors=doctors,
                           offers_shown=OFFERS_SHOWN, slot_form=SlotForm(), action_form=ActionForm())


@bp.route("/new/<int:patient_id>", methods=["GET", "POST"])
@requires("waiting_list")
def new(patient_id: int):
    patient = get_scoped_or_404(Patient, patient_id)
    sites = [s for s in _sites() if s.organisation_id == patient.organisation_id]
    if not sites:
        abort(403)
    form = EntryForm()
    form.site.choices = [(s.code, s.name) for s in sites]
    lang = str(get_locale())
    form.procedure.choices = [(p.code, p.label(lang)) for p in load_procedures().values()]
    site = next((s for s in sites if s.code == form.site.data), sites[0])
    form.physician.choices = [("", _("Any physician"))] + [(str(u.id), u.name) for u in _physicians(site)]
    code = 200
    if request.method == "POST":
        if form.validate():
            ensure_site(site.id)
            physician = form.physician.data
            try:
                services.add_entry(patient, site, form.procedure.data, current_actor(),
                                   physician_id=int(physician) if physician and physician.isdigit() else None,
                                   from_date=form.from_date.data, to_date=form.to_date.data,
                                   time_of_day=form.time_of_day.data or None)
            except DomainError as err:
                db.session.rollback()
                for name in err.details or {}:
                    field = SERVICE_FIELDS.get(name)
                    if field is not None:
                        form[field].errors = [*form[field].errors, str(FIELD_ERRORS[field])]
                flash(_("Please correct the marked fields."), "error")
                code = err.status
            else:
                flash(_("%(name)s is on the waiting list.", name=patient.full_name), "success")
                return redirect(url_for("waitlist.index", site=site.code))
        else:
            flash(_("Please correct the marked fields."), "error")
            code = 422
    return render_template("waitlist/new.html", form=form, patient=patient), code


@bp.route("/<int:entry_id>/remove", methods=["POST"])
@requires("waiting_list")
def remove(entry_id: int):
    entry = _entry(entry_id)
    if not ActionForm().validate():
        abort(400)
    try:
        services.remove_entry(entry, current_actor())
    except Conflict:
        flash(_("This entry is no longer on the waiting list."), "error")
    else:
        flash(_("%(name)s is off the waiting list.", name=entry.patient.full_name), "success")
    return redirect(url_for("waitlist.index", site=entry.site.code))


def _slot(form: SlotForm) -> tuple[dt.datetime, int] | None:
    try:
        start = parse_instant(form.start.data or "")
    except (ValueError, OverflowError):
        return None
    physician = form.physician.data or ""
    return (start, int(physician)) if physician.isdigit() and int(physician) < 2**31 else None


@bp.route("/<int:entry_id>/book", methods=["POST"])
@requires("book")
def book(entry_id: int):
    """The confirm step (screening warnings, holds), then, confirmed, the booking."""
    confirmed = bool(request.form.get("confirm"))
    if confirmed:
        writes.begin_write()
    entry = _entry(entry_id)
    form = SlotForm()
    chosen = _slot(form) if form.validate() else None
    if chosen is None:
        flash(_("That time could not be read; please pick a slot again."), "error")
        return redirect(url_for("waitlist.index", site=entry.site.code))
    if entry.status not in OPEN_STATUSES:
        if entry.appointment_id:
            flash(_("This patient was already booked from the waiting list: here is the appointment."), "success")
            return redirect(url_for("scheduling.show", appointment_id=entry.appointment_id))
        flash(_("This entry is no longer on the waiting list."), "error")
        return redirect(url_for("waitlist.index", site=entry.site.code))
    start, physician_id = chosen
    try:
        if confirmed:
            appointment = services.book_entry(entry, start, physician_id, current_actor())
            flash(_("Appointment booked."), "success")
            return redirect(url_for("scheduling.show", appointment_id=appointment.id))
        slot, result = booking.preview(services.booking_input(entry, start, physician_id), current_actor())
    except DomainError as err:
        db.session.rollback()
        refusal = BOOKING_REFUSALS.get(err.code)
        flash(str(refusal) if refusal else _("The booking was refused: %(why)s", why=err.message), "error")
        return redirect(url_for("waitlist.index", site=entry.site.code))
    return render_template("waitlist/confirm.html", entry=entry, site=entry.site, slot=slot, result=result,
                           physician=db.session.get(User, slot.physician_id), form=form)


@bp.route("/<int:entry_id>/offer", methods=["POST"])
@requires("waiting_list")
def offer(entry_id: int):
    """A first-come offer of a freed time: its link, for the patient."""
    writes.begin_write()
    entry = _entry(entry_id)
    form = SlotForm()
    chosen = _slot(form) if form.validate() else None
    if chosen is None or entry.status not in OPEN_STATUSES:
        flash(_("That time could not be read; please pick a slot again."), "error")
        return redirect(url_for("waitlist.index", site=entry.site.code))
    try:
        made = services.make_offer(entry, chosen[0], chosen[1], current_actor(),
                                   current_app.config["WAITLIST_OFFER_HOURS"])
    except DomainError:
        db.session.rollback()
        flash(_("This time is no longer free."), "error")
        return redirect(url_for("waitlist.index", site=entry.site.code))
    mailed = offer_mail.queue_offer(made) is not None
    return render_template("waitlist/offer_sent.html", entry=entry, site=entry.site, offer=made,
                           link=offer_mail.offer_link(made), mailed=mailed)


# ---------------------------------------------------------------- the patient's offer page


@bp.route("/offer/<token>", methods=["GET", "POST"])
@public  # the opaque token is the patient's key, as the manage link's is
def offer_page(token: str):
    if request.method == "POST":
        writes.begin_write()
    made = services.find_offer(token) if 16 <= len(token) <= 64 else None
    if made is None:
        db.session.rollback()
        abort(404)
    entry = made.entry
    with locale_of(entry.patient.language or "en"):
        context = {"offer": made, "entry": entry, "site": entry.site}
        try:
            if request.method == "POST":
                if not ActionForm().validate():
                    abort(400)
                appointment = services.accept_offer(made)
                return render_template("waitlist/offer_booked.html", appointment=appointment, **context)
            services.check_offer(made)
        except services.OfferGone as gone:
            return render_template("waitlist/offer_closed.html", reason=gone.reason, **context), \
                410 if gone.reason == "expired" else 409
        except DomainError as err:
            db.session.rollback()
            record("waiting_list.offer_refused", "waiting_entry", entry.id, entry.patient_id, {"code": err.code},
                   actor="patient")
            return render_template("waitlist/offer_closed.html", reason="call", **context), 409
        record("waiting_list.offer_read", "waiting_entry", entry.id, entry.patient_id, {"offer": made.id},
               actor="patient")
        return render_template("waitlist/offer.html", form=ActionForm(), **context)


@bp.route("/freed")
@requires("waiting_list")
def freed():
    """The home page's line: the waiting patients with a freed time, at the reader's first site."""
    return redirect(url_for("waitlist.index", freed="1"))
