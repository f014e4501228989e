"""The text of an SMS reminder: its kind's sentence in the patient's language, the short manage link,
the site's neutral name and phone, and at US sites how to stop them (messages.toml [sms])."""

from __future__ import annotations

from dataclasses import dataclass

from clinic.catalog.bilingual import in_language
from clinic.catalog.neutral import mail_name, messages_data
from clinic.dates import format_day
from clinic.links.manage import short_url
from clinic.reminders.composers import _lang, time_label
from clinic.sms import gsm


@dataclass(frozen=True)
class Sms:
    to: str
    body: str
    reference: str


class TooLong(ValueError):
    """The text takes more segments than messages.toml [sms] max_segments allows."""


def text(kind: str, lang: str, site, date: str, time: str, link: str | None) -> str:
    """The folded (GSM-7) text; TooLong past the segment cap."""
    data = messages_data()["sms"]
    lang = lang if lang in ("en", "fr") else "en"
    values = {"site": mail_name(site), "date": date, "time": time, "link": link or "", "phone": site.phone}
    parts = [in_language(data[kind], lang)]
    if link:
        parts.append(in_language(data["link"], lang))
    if site.phone:
        parts.append(in_language(data["phone"], lang))
    stop = data.get("stop", {}).get(site.policy)
    if stop:
        parts.append(in_language(stop, lang))
    body = gsm.fold("".join(parts).format(**values))
    if gsm.segments(body) > data["max_segments"]:
        raise TooLong(f"{gsm.segments(body)} segments (at most {data['max_segments']})")
    return body


SHORT_DAY = {"fr": "d MMMM", "en": "MMMM d"}   # "9 décembre", "December 9"


def compose(reminder) -> Sms:
    """The SMS of an outbox row of channel 'sms'."""
    appointment, site = reminder.appointment, reminder.site
    lang = _lang(reminder)
    day = format_day(appointment.start_at.astimezone(site.tz).date(), SHORT_DAY[lang], lang)  # short: no weekday
    body = text(reminder.kind, lang, site, day,
                time_label(appointment.start_at, site.tz, lang), short_url(appointment.id))
    return Sms(to=reminder.patient.phone, body=body, reference=f"r{reminder.id}")  # the same on every attempt
