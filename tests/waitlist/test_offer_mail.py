"""The first-come offer reaches the patient by e-mail, in their language, through the outbox: the
message that arrives names the freed time and carries the link that books it."""

from __future__ import annotations

import email
import email.policy
import re

import sqlalchemy as sa

from clinic.reminders.dispatcher import dispatch_once
from clinic.reminders.models import Reminder
from clinic.scheduling import services as booking
from clinic.waitlist import services
from tests.waitlist.conftest import PROCEDURE, ten


def _offer(post_form, entry, physician_id, site):
    return post_form(f"/waiting-list/{entry.id}/offer", {"start": ten(site), "physician": str(physician_id)},
                     token_from="/waiting-list/")


def test_the_offer_is_mailed_in_the_patients_language_and_its_link_books(
        db, client, app, smtp_server, login_as, make_patient, paris, taken, post_form):
    login_as("front_desk")
    patient = make_patient(site=paris, language="fr", email="helene.offre@example.org")
    entry = services.add_entry(patient, paris, PROCEDURE, None)
    booking.cancel(taken, "Grippe", None)
    db.session.commit()

    page = _offer(post_form, entry, taken.physician_id, paris)
    assert page.status_code == 200
    assert "The offer was e-mailed to helene.offre@example.org" in page.get_data(as_text=True)
    row = db.session.scalar(sa.select(Reminder).where(Reminder.kind == "waitlist_offer"))
    assert row is not None and row.patient_id == patient.id and row.appointment_id is None

    assert dispatch_once().sent == 2      # the offer, and the cancelled patient's notice
    raw = next(raw for _from, rcpt, raw in smtp_server.messages if rcpt == ["helene.offre@example.org"])
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(received["Subject"]).startswith("Un créneau s'est libéré : mercredi 4 mars à 10:00")
    assert received["Content-Language"] == "fr" and received["Date"]
    body = received.get_body(("plain",)).get_content()
    assert "le premier patient qui l'accepte l'obtient" in body
    link = re.search(r"https?://\S+/waiting-list/offer/([\w-]+)", body)
    assert link is not None

    offered = client.get(f"/waiting-list/offer/{link.group(1)}")
    assert offered.status_code == 200 and "Accepter" in offered.get_data(as_text=True)


def test_a_patient_without_an_address_is_given_the_link_by_the_desk(
        db, login_as, make_patient, paris, taken, post_form):
    login_as("front_desk")
    patient = make_patient(site=paris, language="en")
    patient.email = ""
    entry = services.add_entry(patient, paris, PROCEDURE, None)
    booking.cancel(taken, "Flu", None)
    db.session.commit()
    page = _offer(post_form, entry, taken.physician_id, paris).get_data(as_text=True)
    assert "has no e-mail address: give them the link below." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                             .where(Reminder.kind == "waitlist_offer")) == 0
