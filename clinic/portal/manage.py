"""Manage my appointment: the opaque link of every confirmation and reminder, and what the patient
does with it (cancel up to the site's cutoff, ask for another time, stop non-essential messages).

A link is a random token stored with its appointment (created with the booking, in the same
transaction); it names nothing by itself, can be revoked, and expires at the appointment's end.
Patient actions are audited with the actor "patient:<id>".
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from clinic.audit.services import record
from clinic.catalog.neutral import messages_data
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError
from clinic.extensions import db
from clinic.links import manage as links
from clinic.portal.models import ManageLink, PatientRequest, TimeOption
from clinic.portal.services import actor
from clinic.scheduling import services as scheduling
from clinic.scheduling import signals
from clinic.scheduling.availability import free_starts
from clinic.scheduling.models import Appointment, AppointmentStatus


class LinkGone(Exception):
    """A genuine link past its appointment's end (410)."""

    def __init__(self, appointment: Appointment):
        super().__init__("link expired")
        self.appointment = appointment


# ---------------------------------------------------------------- the link


def ensure_link(appointment: Appointment, fresh: bool = False, **_kw) -> ManageLink:
    """The appointment's link, made with the booking (a signal receiver: same transaction). A
    `fresh` appointment (inserted by this very booking) has none yet: nothing is looked up."""
    row = None if fresh else db.session.execute(
        sa.select(ManageLink).where(ManageLink.appointment_id == appointment.id)).scalar_one_or_none()
    if row is None:
        row = ManageLink(token=secrets.token_urlsafe(24), short_token=secrets.token_urlsafe(8),
                         appointment_id=appointment.id, patient_id=appointment.patient_id)
        db.session.add(row)
        db.session.flush()
    return row


def _page_url(token: str) -> str:
    """BASE_URL/p/m/<token>, built from a prefix made once per BASE_URL (tokens are URL-safe)."""
    base_url = current_app.config["BASE_URL"]
    prefixes = current_app.extensions.setdefault("clinic.manage_prefix", {})
    prefix = prefixes.get(base_url)
    if prefix is None:
        base = urlsplit(base_url)
        adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                           url_scheme=base.scheme or "https")
        marker = "T0KEN"
        prefix = prefixes[base_url] = adapter.build("portal.manage_page", {"token": marker},
                                                    force_external=True).removesuffix(marker)
    return prefix + token


def _short_page_url(short: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/m/{short}"


def manage_url(appointment: Appointment) -> str | None:
    """The absolute link on BASE_URL (works in the dispatcher), or None when the appointment has none."""
    found = live_links([appointment.id]).get(appointment.id)
    return found[0] if found else None


def short_url(appointment_id: int) -> str | None:
    """BASE_URL/m/<short token> of the appointment's live manage link (text messages), or None when it has none."""
    found = live_links([appointment_id]).get(appointment_id)
    return found[1] if found else None


def live_links(appointment_ids) -> dict[int, tuple[str, str | None]]:
    """The live links of these appointments, read at once: id -> (page link, short link or None)."""
    rows = db.session.execute(sa.select(ManageLink.appointment_id, ManageLink.token, ManageLink.short_token).where(
        ManageLink.appointment_id.in_(list(appointment_ids)), ManageLink.revoked_at.is_(None)))
    return {aid: (_page_url(token), _short_page_url(short) if short else None) for aid, token, short in rows}


def token_of_short(short: str) -> str | None:
    """The manage token a text message's short link stands for, or None for an unknown or revoked one."""
    return db.session.execute(sa.select(ManageLink.token).where(
        ManageLink.short_token == short, ManageLink.revoked_at.is_(None))).scalar_one_or_none()


def resolve(token: str, now: dt.datetime | None = None) -> Appointment | None:
    """The appointment a live link names; None for an unknown or revoked one; LinkGone after the end
    (a cancelled appointment's link keeps answering, to show the cancellation)."""
    row = db.session.execute(sa.select(ManageLink).where(ManageLink.token == token)).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    appointment = row.appointment
    if appointment.patient_id != row.patient_id or appointment.patient.pseudonymised_at is not None:
        return None  # an erased patient's links name nothing any more
    if (now or utcnow()) >= appointment.end_at:
        raise LinkGone(appointment)
    record("portal.manage.view", "appointment", appointment.id, appointment.patient_id,
           actor=actor(appointment.patient_id))
    return appointment


# ---------------------------------------------------------------- cancel


def cutoff(appointment: Appointment) -> dt.datetime:
    """The last instant a patient may cancel from the link (site policy, messages.toml)."""
    hours = messages_data()["manage"]["cancel_cutoff_hours"]
    return appointment.start_at - dt.timedelta(hours=hours.get(appointment.site.policy, max(hours.values())))


def can_cancel(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    return appointment.status == AppointmentStatus.BOOKED and (now or utcnow()) < cutoff(appointment)


def cancel(appointment: Appointment, reason: str) -> Appointment:
    """Cancel now: the slot is freed, pending reminders cancelled and the METHOD:CANCEL notice planned
    (by the cancellation signal), the front desk sees it on its day list."""
    if not can_cancel(appointment):
        raise Conflict("too_late", "The cancellation deadline has passed; please call the site.")
    scheduling.cancel(appointment, reason, None)
    record("portal.manage.cancel", "appointment", appointment.id, appointment.patient_id, {"reason": reason},
           actor=actor(appointment.patient_id))
    return appointment


# ---------------------------------------------------------------- another time


def offered_starts(appointment: Appointment, now: dt.datetime | None = None) -> list[dt.datetime]:
    """Free starts for the same procedure, physician and site after the cutoff from now, from the engine."""
    now = now or utcnow()
    data = messages_data()["manage"]
    site = appointment.site
    earliest = now + (appointment.start_at - cutoff(appointment))
    first = earliest.astimezone(site.tz).date()
    starts = free_starts(site, appointment.procedure_code, first, data["alternatives_days"],
                         appointment.physician_id, now, exclude_appointment_id=appointment.id)
    return [s.start_at for s in starts if s.start_at >= earliest and s.start_at != appointment.start_at][:20]


def ask_other_time(appointment: Appointment, picked: list[dt.datetime], note: str) -> PatientRequest:
    """A request carrying up to alternatives_max of the offered starts, for the front desk to confirm one."""
    limit = messages_data()["manage"]["alternatives_max"]
    offered = set(offered_starts(appointment))
    if not picked or len(picked) > limit or any(p not in offered for p in picked):
        raise DomainError("invalid", f"Pick from 1 to {limit} of the times offered.")
    request = PatientRequest(patient_id=appointment.patient_id, appointment_id=appointment.id, kind="reschedule",
                             note=note.strip())
    db.session.add(request)
    db.session.flush()
    for start in sorted(picked):
        db.session.add(TimeOption(request_id=request.id, start_at=start, physician_id=appointment.physician_id))
    db.session.flush()
    record("patient_request.create", "patient_request", request.id, appointment.patient_id,
           {"kind": "reschedule", "times": len(picked)}, actor=actor(appointment.patient_id))
    return request


def options_of(request_ids: list[int]) -> dict[int, list[TimeOption]]:
    found: dict[int, list[TimeOption]] = {}
    if request_ids:
        for row in db.session.execute(sa.select(TimeOption).where(TimeOption.request_id.in_(request_ids))
                                      .order_by(TimeOption.start_at)).scalars():
            found.setdefault(row.request_id, []).append(row)
    return found


def confirm_time(request: PatientRequest, option_id: int, user) -> Appointment:
    """The front desk's one click: reschedule to the picked start (screening run again on the new date)."""
    option = db.session.get(TimeOption, option_id)
    if option is None or option.request_id != request.id:
        raise DomainError("not_found", "No such time in this request.", status=404)
    appointment = db.session.get(Appointment, request.appointment_id)
    if appointment is None:
        raise DomainError("not_found", "The appointment of this request is gone.", status=404)
    scheduling.reschedule(appointment, option.start_at, user, option.physician_id)
    return appointment


def connect() -> None:
    signals.appointment_booked.connect(ensure_link)
    links.register(links.ManageLinks(url=manage_url, short_url=short_url, many=live_links))
