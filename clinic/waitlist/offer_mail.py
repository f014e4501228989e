"""The first-come offer by e-mail: the patient receives the freed time and the link that books it,
through the outbox like every message to a patient (sent by the dispatcher after the commit, retried,
shown in the admin's outbox)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from clinic.catalog.neutral import mail_name
from clinic.db import utcnow
from clinic.extensions import db
from clinic.links.tokens import absolute_url
from clinic.mail.composers import new_message
from clinic.reminders.composers import day_label, local_value, time_label
from clinic.reminders.models import Reminder
from clinic.waitlist.models import WaitingOffer

KIND = "waitlist_offer"


def offer_link(offer: WaitingOffer) -> str:
    """The offer page's absolute link on BASE_URL (built outside any request: in the dispatcher too)."""
    return absolute_url("waitlist.offer_page", token=offer.token)


def queue_offer(offer: WaitingOffer, now: dt.datetime | None = None) -> Reminder | None:
    """An outbox row that e-mails the offer to its patient; None when the patient has no address."""
    patient, site = offer.entry.patient, offer.entry.site
    if not (patient.email or "").strip():
        return None
    now = now or utcnow()
    row = Reminder(appointment_id=None, patient_id=patient.id, organisation_id=patient.organisation_id,
                   site_id=site.id, kind=KIND, channel="email", essential=True,
                   language=patient.language if patient.language in ("en", "fr") else "en",
                   send_at=now, next_attempt_at=now, payload={"offer": offer.id})
    db.session.add(row)
    db.session.flush()
    return row


def compose_offer(reminder: Reminder) -> EmailMessage:
    offer = db.session.get(WaitingOffer, (reminder.payload or {}).get("offer"))
    if offer is None:
        raise LookupError(f"reminder {reminder.id}: its offer is gone")
    site, patient, language = reminder.site, reminder.patient, reminder.language
    with force_locale(language):
        values = {"site": mail_name(site), "day": day_label(offer.start_at, site.tz, language),
                  "time": time_label(offer.start_at, site.tz, language),
                  "until": local_value(offer.expires_at.isoformat(), site.tz, language)}
        subject = _("A time has freed up: %(day)s at %(time)s, %(site)s", **values)
        lines = [_("Hello %(name)s,", name=patient.full_name), "",
                 _("A time has freed up at %(site)s on %(day)s at %(time)s. You are on the waiting list "
                   "for it: the first patient to accept it gets it.", **values), "",
                 _("To book it, open this link before %(until)s:", **values), offer_link(offer), "",
                 _("If this time does not suit you, do nothing: you stay on the waiting list."), "",
                 _("The %(site)s team", **values)]
    msg = new_message()
    msg["To"] = patient.email
    msg["Subject"] = subject
    msg.set_content("\n".join(lines))
    msg.add_alternative("".join(f"<p>{escape(line)}</p>" if line else "" for line in lines), subtype="html")
    msg["Content-Language"] = language      # last: building the parts moves Content-* headers down
    return msg
