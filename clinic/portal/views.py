"""Patient pages reached from links in messages (public, each guarded by its signed, expiring
token), and the front desk's list of patients' open requests."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import quote_plus

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from clinic.access import current_actor, public, requires, visible_site_ids
from clinic.accounts.forms import ConfirmForm
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.links.tokens import LinkExpired, LinkInvalid, read_token
from clinic.patients.models import Patient
from clinic.patients.phones import BadPhone, to_e164
from clinic.portal import services
from clinic.portal.forms import CancelRequestForm, OptOutForm, PainScoreForm
from clinic.reminders.composers import locale_of

bp = Blueprint("portal", __name__)
# Where a patient's "Map" link searches the site's address: OpenStreetMap, which needs no account
# and passes nothing about the patient.
MAP_SEARCH = "https://www.openstreetmap.org/search?query="


@bp.app_template_global("medication_rows")
def medication_rows(appointment) -> list[dict]:
    """The appointment's medication holds as the patient reads them, in the page's language: the
    medicine's name, what to do (stop from, take again from, or the line for a medicine kept or to
    decide with its prescriber)."""
    from flask_babel import get_locale

    from clinic.screening.sheet import hold_rows

    return hold_rows(list(appointment.medication_holds or []), appointment.site.tz, str(get_locale()))


@bp.app_template_filter("portal_when")
def portal_when(value: str | None, site) -> str:
    """A hold's local date (YYYY-MM-DD) or instant, in the reader's language."""
    from flask_babel import get_locale

    from clinic.reminders.composers import local_value

    try:
        return local_value(value, site.tz, str(get_locale()))
    except ValueError:
        return value or ""


@bp.app_template_filter("tel_href")
def tel_href(phone: str | None, site) -> str:
    """A site's phone as a `tel:` address (E.164 when it parses with the site's country)."""
    raw = (phone or "").strip()
    if not raw:
        return ""
    try:
        return "tel:" + to_e164(raw, getattr(site, "country", None))
    except BadPhone:
        digits = re.sub(r"[^\d+]", "", raw)
        return f"tel:{digits}" if digits else ""


@bp.app_template_filter("map_href")
def map_href(site) -> str:
    """A map search for the site's address (the patient's phone opens it in its map app)."""
    return MAP_SEARCH + quote_plus(f"{site.address}") if getattr(site, "address", "") else ""


def _link_error(status: int, claims=None):
    db.session.rollback()
    patient = db.session.get(Patient, claims.patient_id) if claims is not None else None
    with locale_of(patient.language if patient else str(get_locale())):
        return render_template("portal/link_error.html", status=status), status


def patient_link(purpose: str) -> Callable:
    """Check the token of a patient page; the view gets the claims, the patient and the
    appointment, and renders in the patient's language. Expired: 410; altered or foreign: 403;
    not a token at all: 404."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(token: str):
            if token.count(".") != 2:
                abort(404)  # not the shape of any link we make: it names nothing
            try:
                claims = read_token(purpose, token)
                patient, appointment = services.view(purpose, claims)
            except LinkExpired as err:
                return _link_error(410, err.claims)
            except LinkInvalid:
                return _link_error(403)
            with locale_of(patient.language or "en"):
                return view(token, claims, patient, appointment)

        return public(wrapped)

    return decorator


@bp.route("/p/prepare/<token>")
@patient_link("prepare")
def prepare(token, claims, patient, appointment):
    return render_template("portal/prepare.html", patient=patient, appointment=appointment, site=appointment.site)


@bp.route("/p/pain/<token>", methods=["GET", "POST"])
@patient_link("pain")
def pain(token, claims, patient, appointment):
    if claims.moment not in services.PAIN_MOMENTS:
        return _link_error(403)
    if not services.takes_pain_scores(appointment):
        return render_template("portal/no_pain_score.html", appointment=appointment, site=appointment.site)
    form = PainScoreForm()
    if form.validate_on_submit():
        services.record_pain_score(claims, form.score.data, form.note.data or "")
        return render_template("portal/done.html", message=_("Thank you: your answer was sent to your care team."),
                               site=appointment.site)
    previous = services.existing_score(appointment, claims.moment)
    return render_template("portal/pain.html", form=form, appointment=appointment, site=appointment.site,
                           previous=previous), 422 if form.errors else 200


@bp.route("/p/cancel/<token>", methods=["GET", "POST"])
@patient_link("cancel")
def cancel(token, claims, patient, appointment):
    form = CancelRequestForm()
    if form.validate_on_submit():
        try:
            services.request_cancellation(claims, form.note.data or "")
        except DomainError:
            db.session.rollback()
            flash(_("This appointment is no longer upcoming; please call us."), "error")
        else:
            return render_template("portal/done.html", site=appointment.site, message=_(
                "Your request was sent. The front desk will confirm the cancellation with you."))
    pending = services.open_cancellation(appointment)
    return render_template("portal/cancel.html", form=form, appointment=appointment, site=appointment.site,
                           pending=pending), 422 if form.errors else 200


@bp.route("/p/optout/<token>", methods=["GET", "POST"])
@patient_link("optout")
def optout(token, claims, patient, appointment):
    form = OptOutForm()
    if form.validate_on_submit():
        services.opt_out(claims)
        return render_template("portal/done.html", site=appointment.site, message=_(
            "Done: you will only receive the messages needed for your safety and your appointments."))
    return render_template("portal/optout.html", form=form, patient=patient, site=appointment.site)


@bp.route("/patient-requests")
@requires("handle_requests")
def requests():
    from clinic.portal.manage import options_of

    rows = services.open_requests(visible_site_ids())
    times = options_of([req.id for req, _a in rows if req.kind == "reschedule"])
    return render_template("portal/requests.html", rows=rows, form=ConfirmForm(), times=times)


@bp.route("/patient-requests/<int:request_id>/handled", methods=["POST"])
@requires("handle_requests")
def handled(request_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.mark_handled(request_id, current_actor(), visible_site_ids())
    flash(_("Request marked as handled."), "success")
    return redirect(url_for("portal.requests"))
