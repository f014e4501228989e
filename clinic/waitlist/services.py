"""The waiting list's rules: who waits for what, which freed times match them, and the booking of
one of those times (by the front desk, or by the patient from a first-come offer). No Flask here;
services flush, never commit."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import with_expression
from sqlalchemy.orm.interfaces import ORMOption

from clinic.accounts.models import Role, User
from clinic.audit.services import record
from clinic.catalog import get_procedure
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError, ValidationFailed
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.scheduling import services as booking
from clinic.scheduling.availability import free_starts
from clinic.scheduling.models import Appointment
from clinic.sites.models import Site
from clinic.tenancy import in_scope
from clinic.timeutil import local_date
from clinic.waitlist.models import (
    OPEN_STATUSES,
    TIMES_OF_DAY,
    EntryStatus,
    FreedSlot,
    OfferStatus,
    WaitingEntry,
    WaitingOffer,
)

NOON = dt.time(12)
MAX_SEARCH_DAYS = 120   # as the availability API's longest search


def waits_option() -> ORMOption:
    """Load with a patient whether they have an open waiting entry (Patient.waits), so that booking
    one who waits for nothing reads no entry. An entry another request makes between that read and
    the booking's commit stays open, as one made just after the booking would."""
    return with_expression(Patient.waits, sa.exists().where(WaitingEntry.patient_id == Patient.id,
                                                            WaitingEntry.status.in_(OPEN_STATUSES)))



@dataclass(frozen=True)
class Offer:
    """A freed start that matches an entry and is still free, with who would take it."""

    start_at: dt.datetime
    end_at: dt.datetime
    physician_id: int
    room_id: int


# ---------------------------------------------------------------- entries


def add_entry(patient: Patient, site: Site, procedure_code: str | None, user: User | None, *,
              physician_id: int | None = None, from_date: dt.date | None = None, to_date: dt.date | None = None,
              time_of_day: str | None = None) -> WaitingEntry:
    """Put the patient on the site's waiting list; each bad field is named (422 invalid)."""
    errors: dict[str, str] = {}
    if get_procedure(procedure_code or "") is None:
        errors["procedure"] = "Unknown procedure code."
    if patient.organisation_id != site.organisation_id:
        errors["location"] = "This site belongs to another organisation than the patient's."
    if physician_id is not None:
        physician = db.session.get(User, physician_id)
        if physician is None or physician.role != Role.PHYSICIAN or not physician.can_access_site(site.id):
            errors["physician_id"] = "Not a physician of this location."
    if from_date and to_date and to_date < from_date:
        errors["to"] = "The last day comes on or after the first."
    if to_date and to_date < local_date(utcnow(), site.tz):
        errors["to"] = "The last day has passed."
    if time_of_day is not None and time_of_day not in TIMES_OF_DAY:
        errors["times"] = f"Expected one of: {', '.join(TIMES_OF_DAY)}."
    if errors:
        raise ValidationFailed(errors)
    entry = WaitingEntry(patient_id=patient.id, site_id=site.id, procedure_code=procedure_code,
                         physician_id=physician_id, from_date=from_date, to_date=to_date, time_of_day=time_of_day,
                         status=EntryStatus.WAITING, created_by_id=user.id if user else None)
    entry.patient, entry.site = patient, site
    db.session.add(entry)
    db.session.flush()
    record("waiting_list.add", "waiting_entry", entry.id, patient.id,
           {"site": site.code, "procedure": procedure_code})
    return entry


def remove_entry(entry: WaitingEntry, user: User | None) -> None:
    if entry.status not in OPEN_STATUSES:
        raise Conflict("invalid_state", f"This entry is {entry.status.value}.", {"status": entry.status.value})
    _close(entry, EntryStatus.REMOVED)
    record("waiting_list.remove", "waiting_entry", entry.id, entry.patient_id, {"by": user.id if user else None})


def _close(entry: WaitingEntry, status: EntryStatus, appointment: Appointment | None = None) -> None:
    entry.status = status
    entry.closed_at = utcnow()
    if appointment is not None:
        entry.appointment_id = appointment.id
    db.session.flush()


def waiting_at(site: Site, q: str | None = None) -> sa.Select:
    """The site's open entries in order of waiting (first come first), inside the caller's organisations;
    `q` keeps those whose patient's name matches."""
    stmt = in_scope(sa.select(WaitingEntry).join(Patient, Patient.id == WaitingEntry.patient_id)
                    .where(WaitingEntry.site_id == site.id, WaitingEntry.status.in_(OPEN_STATUSES)), WaitingEntry)
    if q:
        from clinic.text import fold

        for word in fold(q).split():
            stmt = stmt.where(Patient.search_name.contains(word, autoescape=True))
    return stmt.order_by(WaitingEntry.created_at, WaitingEntry.id)


def open_entries(site_ids: set[int] | None) -> list[WaitingEntry]:
    """The open entries at the given sites (None: every site), inside the caller's organisations."""
    stmt = in_scope(sa.select(WaitingEntry).where(WaitingEntry.status.in_(OPEN_STATUSES)), WaitingEntry,
                    sites=WaitingEntry.site_id, site_ids=site_ids)
    return list(db.session.scalars(stmt.order_by(WaitingEntry.created_at, WaitingEntry.id)))


# ---------------------------------------------------------------- freed times and what matches


def record_freed(site_id: int, physician_id: int | None, start_at: dt.datetime, end_at: dt.datetime,
                 cause: str) -> None:
    """A time that became free (nothing is recorded for a time already past)."""
    if end_at <= start_at or end_at <= utcnow():
        return
    db.session.add(FreedSlot(site_id=site_id, physician_id=physician_id, start_at=start_at, end_at=end_at,
                             cause=cause))


def _freed_by_site(entries: list[WaitingEntry], now: dt.datetime) -> dict[int, list[FreedSlot]]:
    """The times still to come freed at the entries' sites since the oldest of them was made, per
    site, in time order: one query for a whole list of entries."""
    if not entries:
        return {}
    oldest = min(e.created_at for e in entries)
    stmt = sa.select(FreedSlot).where(FreedSlot.site_id.in_({e.site_id for e in entries}),
                                      FreedSlot.created_at >= oldest, FreedSlot.end_at > now)
    by_site: dict[int, list[FreedSlot]] = {}
    for freed in db.session.scalars(stmt.order_by(FreedSlot.start_at, FreedSlot.id)):
        by_site.setdefault(freed.site_id, []).append(freed)
    return by_site


def _freed_for(entry: WaitingEntry, at_site: list[FreedSlot]) -> list[FreedSlot]:
    """Of the site's freed times, those freed since the entry was made, for its physician if it names one."""
    return [f for f in at_site if f.created_at >= entry.created_at
            and (entry.physician_id is None or f.physician_id in (None, entry.physician_id))]


def _search_days(entry: WaitingEntry, freed: list[FreedSlot], now: dt.datetime) -> tuple[dt.date, int] | None:
    tz = entry.site.tz
    first = max(d for d in (entry.from_date, local_date(now, tz), local_date(freed[0].start_at, tz)) if d)
    last = min(d for d in (entry.to_date, local_date(max(f.end_at for f in freed), tz)) if d)
    if last < first:
        return None
    return first, min((last - first).days + 1, MAX_SEARCH_DAYS)


def _time_fits(entry: WaitingEntry, start_at: dt.datetime) -> bool:
    if entry.time_of_day is None:
        return True
    morning = start_at.astimezone(entry.site.tz).time() < NOON
    return morning == (entry.time_of_day == "morning")


def offers_for(entry: WaitingEntry, now: dt.datetime | None = None) -> list[Offer]:
    """The starts freed since the entry was made that match it (procedure, physician, dates, time
    of day) and are still free, in time order: one per start, preferring the physician freed."""
    return offers_for_each([entry], now)[entry.id]


def offers_for_each(entries: list[WaitingEntry], now: dt.datetime | None = None) -> dict[int, list[Offer]]:
    """offers_for of each entry, by entry id. The freed times of all of them are read at once, and
    the entries waiting for the same procedure at the same site (and physician) share one search of
    free times over all their dates: a list costs one query, plus one search per kind of wait that
    a time was freed for."""
    now = now or utcnow()
    found: dict[int, list[Offer]] = {e.id: [] for e in entries}
    by_site = _freed_by_site([e for e in entries if e.status in OPEN_STATUSES], now)
    waits: dict[tuple, list[tuple[WaitingEntry, list[FreedSlot], tuple[dt.date, int]]]] = {}
    for entry in entries:
        freed = _freed_for(entry, by_site.get(entry.site_id, [])) if entry.status in OPEN_STATUSES else []
        span = _search_days(entry, freed, now) if freed else None
        if span is not None:
            waits.setdefault((entry.site_id, entry.procedure_code, entry.physician_id), []).append((entry, freed, span))
    for members in waits.values():
        first = min(span[0] for _e, _f, span in members)
        days = (max(span[0] + dt.timedelta(days=span[1]) for _e, _f, span in members) - first).days
        searches = [(first, days, members)] if days <= MAX_SEARCH_DAYS else [(m[2][0], m[2][1], [m]) for m in members]
        for start, length, who in searches:
            entry = who[0][0]
            starts = list(free_starts(entry.site, entry.procedure_code, start, length, entry.physician_id, now))
            for member, freed, span in who:
                found[member.id] = _matching(member, freed, starts, span)
    return found


def _matching(entry: WaitingEntry, freed: list[FreedSlot], starts: list, span: tuple[dt.date, int]) -> list[Offer]:
    """Of the free starts, those within the entry's dates and time of day that overlap a time freed
    for it, one offer each (the physician freed first)."""
    tz, first, last = entry.site.tz, span[0], span[0] + dt.timedelta(days=span[1] - 1)
    offers = []
    for free in starts:
        if not first <= local_date(free.start_at, tz) <= last or not _time_fits(entry, free.start_at):
            continue
        overlapping = [f for f in freed if f.start_at < free.end_at and free.start_at < f.end_at]
        freed_physicians = {f.physician_id for f in overlapping}
        pairs = [(p, rooms) for p, rooms in free.pairs if None in freed_physicians or p in freed_physicians]
        if pairs:
            physician, rooms = pairs[0]
            offers.append(Offer(free.start_at, free.end_at, physician, rooms[0]))
    return offers


def entries_with_offers(site_ids: set[int] | None) -> list[tuple[WaitingEntry, list[Offer]]]:
    """The open entries at the given sites that have at least one offer, in order of waiting."""
    entries = open_entries(site_ids)
    offers = offers_for_each(entries)
    return [(entry, offers[entry.id]) for entry in entries if offers[entry.id]]


# ---------------------------------------------------------------- booking from the list


def booking_input(entry: WaitingEntry, start_at: dt.datetime, physician_id: int | None) -> booking.BookingInput:
    return booking.BookingInput(patient=entry.patient, site=entry.site, procedure_code=entry.procedure_code,
                                start_at=start_at, physician_id=physician_id)


def _check_open(entry: WaitingEntry) -> None:
    if entry.status not in OPEN_STATUSES:
        raise Conflict("invalid_state", f"This entry is {entry.status.value}.", {"status": entry.status.value})


def book_entry(entry: WaitingEntry, start_at: dt.datetime, physician_id: int | None,
               user: User | None) -> Appointment:
    """Book the entry's patient at a start, screened as any booking; the entry is then booked."""
    _check_open(entry)
    appointment = booking.book(booking_input(entry, start_at, physician_id), user)
    _close(entry, EntryStatus.BOOKED, appointment)
    return appointment


# ---------------------------------------------------------------- first-come offers


class OfferGone(Exception):
    """The offer cannot be taken any more: `reason` is "expired" or "taken"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def make_offer(entry: WaitingEntry, start_at: dt.datetime, physician_id: int, user: User | None,
               valid_hours: int) -> WaitingOffer:
    """An offer of a start still free for this entry, valid for `valid_hours` (and never past the start)."""
    _check_open(entry)
    booking.offered_slot(entry.site, entry.procedure_code, start_at, physician_id)   # 409 when no longer free
    expires = min(utcnow() + dt.timedelta(hours=valid_hours), start_at)
    offer = WaitingOffer(token=secrets.token_urlsafe(32), entry_id=entry.id, patient_id=entry.patient_id,
                         start_at=start_at, physician_id=physician_id, status=OfferStatus.OPEN,
                         created_by_id=user.id if user else None, expires_at=expires)
    offer.entry = entry
    db.session.add(offer)
    entry.status = EntryStatus.OFFERED
    db.session.flush()
    record("waiting_list.offer", "waiting_entry", entry.id, entry.patient_id,
           {"offer": offer.id, "start": start_at.isoformat()})
    return offer


def find_offer(token: str) -> WaitingOffer | None:
    return db.session.scalar(sa.select(WaitingOffer).where(WaitingOffer.token == token))


def check_offer(offer: WaitingOffer, now: dt.datetime | None = None) -> None:
    """OfferGone unless the offer may still be taken: open, not expired, its entry open, the time free."""
    now = now or utcnow()
    if offer.status != OfferStatus.OPEN or offer.entry.status not in OPEN_STATUSES:
        raise OfferGone("taken")
    if now >= offer.expires_at:
        raise OfferGone("expired")
    try:
        booking.offered_slot(offer.entry.site, offer.entry.procedure_code, offer.start_at, offer.physician_id, now)
    except DomainError as err:
        if err.code == "outside_booking_window":
            raise OfferGone("expired") from None
        _lost(offer)
        raise OfferGone("taken") from None


def _lost(offer: WaitingOffer) -> None:
    """Someone else had the offered time: the offer is closed, and its patient waits again unless
    another of their offers is still open."""
    offer.status = OfferStatus.TAKEN
    entry = offer.entry
    others = db.session.scalar(sa.select(sa.func.count()).select_from(WaitingOffer).where(
        WaitingOffer.entry_id == entry.id, WaitingOffer.id != offer.id, WaitingOffer.status == OfferStatus.OPEN,
        WaitingOffer.expires_at > utcnow()))
    if entry.status == EntryStatus.OFFERED and not others:
        entry.status = EntryStatus.WAITING
    db.session.flush()


def accept_offer(offer: WaitingOffer, now: dt.datetime | None = None) -> Appointment:
    """The patient takes the offered time: booked, screened as any booking, if nobody had it first."""
    check_offer(offer, now)
    try:
        appointment = book_entry(offer.entry, offer.start_at, offer.physician_id, None)
    except Conflict as err:
        if err.code != "slot_unavailable":
            raise
        _lost(offer)
        raise OfferGone("taken") from None
    offer.status = OfferStatus.ACCEPTED
    offer.appointment_id = appointment.id
    db.session.flush()
    record("waiting_list.offer_accepted", "waiting_entry", offer.entry_id, offer.patient_id,
           {"offer": offer.id, "appointment": appointment.id}, actor="patient")
    return appointment
