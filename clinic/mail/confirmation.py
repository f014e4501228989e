"""The booking confirmation (with the preparation sheet and a calendar invitation) and the
cancellation notice (with METHOD:CANCEL), in the patient's language.

clinic.mail.init_app registers them as the composers of the outbox kinds "confirmation", "rescheduled"
and "cancellation". Subjects name the date, time and site only: never a procedure, drug, condition
or body part.
"""

from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale
from flask_babel import gettext as _

from clinic.catalog.bilingual import in_language
from clinic.catalog.neutral import mail_name
from clinic.catalog.rules import patient_texts
from clinic.dates import format_day
from clinic.links.manage import manage_url
from clinic.mail import ics
from clinic.mail.composers import new_message
from clinic.screening.formats import fmt_time
from clinic.screening.sheet import render_plain, render_sheet, render_sheet_text
from clinic.timeutil import parse_instant

LANGUAGES = ("en", "fr")


def _language(reminder) -> str:
    for value in (reminder.language, getattr(reminder.patient, "language", None)):
        if value in LANGUAGES:
            return value
    return "en"


def mail_texts(language: str) -> dict[str, str]:
    """The texts of the booking messages in the language, placeholders in braces ({date} {time}
    {site} {phone} {address} {name} {old_date} {old_time}), and the date pattern of the catalog data."""
    with force_locale(language):
        texts = {
            "subject_confirmation": _("Your appointment on {date} at {time}, {site}"),
            "subject_cancellation": _("Cancelled: your appointment on {date} at {time}, {site}"),
            "subject_rescheduled": _("Moved: your appointment on {date} at {time}, {site}"),
            "greeting": _("Hello %(name)s,", name="{name}"),  # the reminders' greeting, filled below
            "confirmed": _("Your appointment is confirmed: {date} at {time}, {site}."),
            "cancelled": _("Your appointment on {date} at {time} at {site} is cancelled."),
            "moved": _("Your appointment has moved: it is now on {date} at {time}, {site} "
                       "(it was on {old_date} at {old_time})."),
            "rebook": _("To book another date, call us at {phone}."),
            "invite": _("The attached calendar invitation adds the appointment to your calendar."),
            "invite_cancel": _("The attached calendar update removes it from your calendar."),
            "invite_update": _("The attached calendar update moves it in your calendar."),
            "manage": _("See, cancel or move your appointment"),
            "signature": _("The {site} team"),
            "event_summary": _("Appointment, {site}"),
            "contact": "{site} · {address} · {phone}",
        }
    return {"date_format": in_language(patient_texts()["formats"]["day"], language), **texts}


def when(appointment, language: str) -> dict[str, str]:
    """The appointment's local date ("Tuesday 30 March") and time ("09:00") in the language."""
    tz = appointment.site.tz
    local = appointment.start_at.astimezone(tz)
    pattern = mail_texts(language)["date_format"]
    return {"date": format_day(local.date(), pattern, language),
            "time": fmt_time(local, tz, language), "site": mail_name(appointment.site)}


def subject(appointment, language: str, kind: str = "confirmation") -> str:
    return mail_texts(language)[f"subject_{kind}"].format(**when(appointment, language))


def _previous(reminder, language: str) -> dict[str, str]:
    """The time an appointment had before it moved ("old_date", "old_time"), from the notice's row."""
    value = (reminder.payload or {}).get("previous_start")
    if not value:
        return {"old_date": "", "old_time": ""}
    tz = reminder.appointment.site.tz
    local = parse_instant(value).astimezone(tz)
    return {"old_date": format_day(local.date(), mail_texts(language)["date_format"], language),
            "old_time": fmt_time(local, tz, language)}


def invite(appointment, language: str, method: str = "REQUEST") -> bytes:
    """The appointment's calendar invitation (or cancellation) in the language."""
    return _invite(appointment, language, method)


def _invite(appointment, language: str, method: str) -> bytes:
    texts = mail_texts(language)
    site = appointment.site
    description = texts["rebook"].format(phone=site.phone or "-")
    return ics.build(appointment, summary=texts["event_summary"].format(site=mail_name(site)),
                     description=description, method=method)


def _message(reminder, kind: str, method: str, with_sheet: bool) -> EmailMessage:
    appointment, patient = reminder.appointment, reminder.patient
    language = _language(reminder)
    texts = mail_texts(language)
    values = {**when(appointment, language), **_previous(reminder, language), "name": patient.full_name,
              "phone": appointment.site.phone or "-", "address": appointment.site.address or ""}
    lines = {k: v.format(**values) for k, v in texts.items() if k not in ("date_format",)}
    context = {"language": language, "m": lines, "kind": kind, "appointment": appointment,
               "sheet_html": render_sheet(appointment) if with_sheet else "",  # escaped when rendered
               "sheet_text": render_sheet_text(appointment) if with_sheet else "",
               "manage_link": manage_url(appointment) if kind != "cancellation" else None}
    msg = new_message()
    msg["To"] = patient.email  # the address only: no name can change the recipients a reader sees
    msg["Subject"] = subject(appointment, language, kind)
    msg.set_content(render_plain(f"email/{kind}.txt", **context))
    msg.add_alternative(render_plain(f"email/{kind}.html", **context), subtype="html")
    invite = _invite(appointment, language, method)
    msg.add_alternative(invite.decode("utf-8"), subtype="calendar", params={"method": method})
    msg.add_attachment(invite, maintype="application", subtype="ics", filename="invite.ics")
    msg["Content-Language"] = language     # last: building the parts moves Content-* headers down
    return msg


def compose_confirmation(reminder) -> EmailMessage:
    """Confirmation of a booking (or of its new time after a reschedule: the SEQUENCE is higher)."""
    return _message(reminder, "confirmation", "REQUEST", with_sheet=True)


def compose_rescheduled(reminder) -> EmailMessage:
    """The one message of a move: the new time, the old one, and the invite with a higher SEQUENCE."""
    return _message(reminder, "rescheduled", "REQUEST", with_sheet=True)


def compose_cancellation(reminder) -> EmailMessage:
    """Notice that an appointment is cancelled, with the calendar cancellation."""
    return _message(reminder, "cancellation", "CANCEL", with_sheet=False)
