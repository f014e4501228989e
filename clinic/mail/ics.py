"""Calendar invitations (iCalendar, RFC 5545/5546) for appointments.

One stable UID per appointment (appointment-<id>@<domain>), SEQUENCE from the appointment (raised
on reschedule), METHOD:REQUEST for a booking or a change and METHOD:CANCEL for a cancellation.
Times carry the site's TZID with its VTIMEZONE. The summary names the site only: a calendar is
often shared, so no procedure, drug or body part appears in the invitation.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context
from icalendar import Calendar, Event, vCalAddress, vText

from clinic.catalog.neutral import mail_name
from clinic.db import utcnow

PRODID = "-//Clinic//Appointments//EN"


def uid_domain() -> str:
    """The domain of appointment UIDs: ICAL_UID_DOMAIN, else the MAIL_FROM domain."""
    config = current_app.config if has_app_context() else {}
    domain = config.get("ICAL_UID_DOMAIN") or config.get("MAIL_FROM", "").rsplit("@", 1)[-1].strip("> ")
    return domain or "clinic.local"


def appointment_uid(appointment) -> str:
    return f"appointment-{appointment.id}@{uid_domain()}"


def build(appointment, *, summary: str, description: str, method: str = "REQUEST",
          organizer: str | None = None, stamp: dt.datetime | None = None) -> bytes:
    """The .ics body of an appointment's invitation (REQUEST) or cancellation (CANCEL)."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method}")
    site, patient = appointment.site, appointment.patient
    tz = site.tz
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("sequence", int(appointment.ical_sequence or 0))
    event.add("dtstamp", stamp or utcnow())
    event.add("dtstart", appointment.start_at.astimezone(tz))
    event.add("dtend", appointment.end_at.astimezone(tz))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", vText(", ".join(p for p in (mail_name(site), site.address) if p)))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    sender = organizer or current_app.config.get("MAIL_FROM", "")
    address = sender.rsplit("<", 1)[-1].strip("> ") if "@" in sender else "no-reply@clinic.local"
    org = vCalAddress(f"mailto:{address}")
    org.params["cn"] = vText(mail_name(site))
    event.add("organizer", org)
    attendee = vCalAddress(f"mailto:{patient.email}")
    attendee.params["cn"] = vText(patient.full_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION" if method == "REQUEST" else "DECLINED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    cal.add_component(event)
    # A VTIMEZONE covering the years around the appointment (the full 1970-2038 table is long).
    year = appointment.start_at.astimezone(tz).year
    cal.add_missing_timezones(first_date=dt.date(year - 1, 1, 1), last_date=dt.date(year + 2, 1, 1))
    return cal.to_ical()
