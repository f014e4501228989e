"""The first-come offer link: the patient who accepts first books the time; an expired offer, or one
whose time someone else took, says so on a clear page and books nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from clinic.scheduling import services as booking
from clinic.scheduling.models import Appointment
from clinic.waitlist import services
from clinic.waitlist.models import EntryStatus, OfferStatus
from tests.waitlist.conftest import PROCEDURE, ten
from tests.web import csrf_token


@pytest.fixture
def two_waiting(db, make_patient, paris, taken):
    """Two patients waiting, then the 10:00 freed: each is offered it."""
    entries = [services.add_entry(make_patient(site=paris, language=lang), paris, PROCEDURE, None) for lang in ("fr", "en")]
    booking.cancel(taken, "Flu", None)
    start = dt.datetime.fromisoformat(ten(paris))
    offers = [services.make_offer(e, start, taken.physician_id, None, valid_hours=12) for e in entries]
    db.session.commit()
    return entries, offers


def _accept(client, token):
    page = client.get(f"/waiting-list/offer/{token}")
    return client.post(f"/waiting-list/offer/{token}", data={"csrf_token": csrf_token(client, f"/waiting-list/offer/{token}")}), page


def test_the_desk_gets_the_link(db, client, login_as, paris, two_waiting, make_patient, post_form):
    """Send an offer answers with the link to give the patient."""
    login_as("front_desk")
    entry = services.add_entry(make_patient(site=paris), paris, PROCEDURE, None)
    db.session.commit()
    response = post_form(f"/waiting-list/{entry.id}/offer", {"start": ten(paris), "physician": str(two_waiting[1][0].physician_id)},
                         token_from="/waiting-list/")
    assert response.status_code == 200
    assert re.search(r"/waiting-list/offer/[\w-]{40,}", response.get_data(as_text=True))
    db.session.refresh(entry)
    assert entry.status == EntryStatus.OFFERED


def test_the_first_to_accept_books_and_the_second_is_told(db, client, paris, two_waiting):
    """The first patient's acceptance books 10:00 (in French: their language); the second sees that the
    time has been taken, and waits again on the list."""
    (first, second), (one, two) = two_waiting
    response, page = _accept(client, one.token)
    assert page.status_code == 200 and "Accepter" in page.get_data(as_text=True)
    assert response.status_code == 200
    appointment = db.session.query(Appointment).filter_by(patient_id=first.patient_id).one()
    assert appointment.start_at.astimezone(paris.tz).isoformat() == ten(paris)
    db.session.refresh(one)
    db.session.refresh(first)
    assert one.status == OfferStatus.ACCEPTED and first.status == EntryStatus.BOOKED
    taken_page = client.get(f"/waiting-list/offer/{two.token}")
    assert taken_page.status_code == 409 and "This time has been taken" in taken_page.get_data(as_text=True)
    late = client.post(f"/waiting-list/offer/{two.token}", data={"csrf_token": csrf_token(client)})
    assert late.status_code == 409 and "This time has been taken" in late.get_data(as_text=True)
    assert db.session.query(Appointment).filter_by(patient_id=second.patient_id).count() == 0
    db.session.refresh(second)
    db.session.refresh(two)
    assert second.status == EntryStatus.WAITING and two.status == OfferStatus.TAKEN   # waits again


def test_an_expired_offer_is_refused(db, client, frozen, two_waiting):
    """Past the setting's hours the link books nothing."""
    (first, _), (one, _) = two_waiting
    frozen.shift(dt.timedelta(hours=13))
    response, page = _accept(client, one.token)
    assert page.status_code == 410 and response.status_code == 410
    assert "expir" in page.get_data(as_text=True).lower()
    assert db.session.query(Appointment).filter_by(patient_id=first.patient_id).count() == 0


def test_the_offer_lasts_the_setting(db, app, two_waiting):
    (_, _), (one, _) = two_waiting
    assert app.config["WAITLIST_OFFER_HOURS"] == 12
    assert one.expires_at - one.created_at == dt.timedelta(hours=12)


def test_an_unknown_link_is_404(db, client):
    assert client.get("/waiting-list/offer/" + "x" * 40).status_code == 404
