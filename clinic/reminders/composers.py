"""Messages for the scheduled reminder kinds: subject, plain text and HTML in the patient's language.

Texts and red flags are data (clinic/catalog/data/reminders.toml). Subjects carry only the date,
the time and the site: never a procedure, drug, condition or body part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from types import SimpleNamespace

from flask import g
from flask_babel import force_locale

from clinic.catalog.bilingual import in_language
from clinic.catalog.neutral import mail_name
from clinic.catalog.rules import policy_for, text
from clinic.dates import format_day
from clinic.links.manage import manage_url
from clinic.links.tokens import link
from clinic.mail.composers import new_message
from clinic.reminders.schedule import load_data, rule, rules
from clinic.screening.formats import fmt_time
from clinic.screening.preparation import emergency_number
from clinic.screening.sheet import render_plain
from clinic.timeutil import parse_instant

NOTICE_KINDS = ("confirmation", "rescheduled", "cancellation")  # composed by the booking side (email + .ics)
SCHEDULE_KINDS = tuple(k for k in rules() if k not in NOTICE_KINDS)


@contextmanager
def locale_of(lang: str) -> Iterator[None]:
    """Render in this language, in a request or not (Flask-Babel's force_locale ignores an empty `g`)."""
    if not hasattr(g, "_flask_babel"):
        g._flask_babel = SimpleNamespace()
    with force_locale(lang):
        yield


def _lang(reminder) -> str:
    return reminder.language if reminder.language in ("en", "fr") else "en"


def day_label(instant: dt.datetime, tz, lang: str) -> str:
    return format_day(instant.astimezone(tz).date(), text("formats", "day", lang), lang)


def time_label(instant: dt.datetime, tz, lang: str) -> str:
    return fmt_time(instant, tz, lang)


def subject_for(reminder, values: dict) -> str:
    """'Your appointment on Tuesday 30 March at 09:00, Clinique Drouot' and its kin, from the body's
    values (date, time and site written once for both)."""
    template = in_language(load_data()["subjects"], _lang(reminder))[rule(reminder.kind).subject]
    return template.format(date=values["date"], time=values["time"], site=values["site"])


def _hold(reminder) -> dict:
    holds = reminder.appointment.medication_holds or []
    index = (reminder.payload or {}).get("hold", 0)
    return holds[index] if isinstance(index, int) and index < len(holds) else {}


def local_value(value: str | None, tz, lang: str) -> str:
    """A hold's date (YYYY-MM-DD) or instant, written for people."""
    if not value:
        return ""
    if len(value) == 10:
        return format_day(dt.date.fromisoformat(value), text("formats", "day", lang), lang)
    instant = parse_instant(value)
    return text("formats", "instant", lang).format(date=day_label(instant, tz, lang), time=time_label(instant, tz, lang))


def _values(reminder, lang: str) -> dict:
    appointment, site = reminder.appointment, reminder.site
    hold = _hold(reminder)
    fasting = policy_for(site).fasting
    return {
        "date": day_label(appointment.start_at, site.tz, lang),
        "time": time_label(appointment.start_at, site.tz, lang),
        "site": mail_name(site), "address": site.address, "phone": site.phone,
        "drug": hold.get(f"drug_{lang}") or hold.get("drug", ""),   # drug_fr: the substance's French name
        "stop": local_value(hold.get("stop_on"), site.tz, lang),
        "restart": local_value(hold.get("restart_after"), site.tz, lang),
        "solids_hours": fasting["solids_hours"], "clear_liquids_hours": fasting["clear_liquids_hours"],
        "emergency": emergency_number(site, lang),
    }


def _links(reminder) -> dict:
    r = rule(reminder.kind)
    ids = (reminder.patient_id, reminder.appointment_id)
    links = {}
    if r.phase == "before":
        manage = manage_url(reminder.appointment)
        if manage:
            links["manage"] = manage  # one link: preparation, invite, cancel, another time, messages
        else:  # an appointment booked before manage links existed
            links["prepare"] = link("prepare", *ids)
            links["cancel"] = link("cancel", *ids)
    if r.link == "pain_score":
        links["pain"] = link("pain", *ids, moment=r.moment)
    if not r.essential and "manage" not in links:
        links["optout"] = link("optout", *ids)
    return links


def body_context(reminder, values: dict) -> dict:
    lang = _lang(reminder)
    data = load_data()
    r = rule(reminder.kind)
    return {
        "reminder": reminder, "patient": reminder.patient, "site": reminder.site,
        "site_name": mail_name(reminder.site),
        "paragraphs": [p.format(**values) for p in in_language(data["texts"][reminder.kind], lang)],
        "red_flags": [flag.format(**values) for flag in in_language(data["red_flags"], lang)] if r.red_flags else [],
        "links": _links(reminder), "lang": lang,
    }


def compose_reminder(reminder) -> EmailMessage:
    lang = _lang(reminder)
    values = _values(reminder, lang)
    with locale_of(lang):
        context = body_context(reminder, values)
        text = render_plain("email/reminder.txt", **context)
        html = render_plain("email/reminder.html", **context)
    msg = new_message()
    msg["To"] = reminder.patient.email
    msg["Subject"] = subject_for(reminder, values)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = lang  # last: set_content clears the Content-* headers
    return msg
