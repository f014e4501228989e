"""The waiting list's pages: putting a patient on it from their page, the site's list with its freed
times, booking one after the confirm step, removing an entry; another organisation finds nothing."""

from __future__ import annotations

import re

import pytest

from clinic.scheduling import services as booking
from clinic.scheduling.models import Appointment
from clinic.waitlist import services
from clinic.waitlist.models import EntryStatus, WaitingEntry
from tests.waitlist.conftest import PROCEDURE, WEDNESDAY, ten


@pytest.fixture
def entry(db, make_patient, paris):
    made = services.add_entry(make_patient(site=paris, last_name="Attente"), paris, PROCEDURE, None)
    db.session.commit()
    return made


@pytest.fixture
def freed(db, taken):
    """The 10:00 appointment cancelled: its time is freed."""
    booking.cancel(taken, "Flu", None)
    db.session.commit()
    return taken


def test_the_patient_page_offers_to_put_on_the_list(db, client, login_as, make_patient, paris, post_form):
    """The patient page's panel links the form, which puts the patient on the site's list."""
    login_as("front_desk")
    patient = make_patient(site=paris, last_name="Lapatiente")
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f"/waiting-list/new/{patient.id}" in page
    path = f"/waiting-list/new/{patient.id}"
    response = post_form(path, {"site": paris.code, "procedure": PROCEDURE, "physician": "", "time_of_day": "morning",
                                "from_date": "2026-03-03", "to_date": ""}, token_from=path)
    assert response.status_code == 302
    entry = db.session.query(WaitingEntry).filter_by(patient_id=patient.id).one()
    assert entry.time_of_day == "morning" and entry.status == EntryStatus.WAITING
    listing = client.get(f"/waiting-list/?site={paris.code}").get_data(as_text=True)
    assert "Lapatiente" in listing


def test_an_empty_list_says_so(db, client, login_as, paris):
    login_as("front_desk")
    page = client.get("/waiting-list/").get_data(as_text=True)
    assert "Nobody is waiting at this site." in page


def test_search_keeps_the_matching_patients(db, client, login_as, entry, make_patient, paris):
    services.add_entry(make_patient(site=paris, last_name="Autrenom"), paris, PROCEDURE, None)
    db.session.commit()
    login_as("front_desk")
    page = client.get("/waiting-list/?q=attente").get_data(as_text=True)
    assert "Attente" in page and "Autrenom" not in page


def test_a_freed_time_is_booked_after_the_confirm_step(db, client, login_as, entry, freed, paris, post_form):
    """The home page counts the patient; the list offers 10:00; Book shows the confirm step with the
    screening warnings; confirming books it and the entry is booked."""
    login_as("front_desk")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'class="count">1</strong>\s*<a href="/waiting-list/freed">', home)
    listing = client.get("/waiting-list/?freed=1").get_data(as_text=True)
    assert ten(paris) in listing
    form = {"start": ten(paris), "physician": str(freed.physician_id)}
    confirm = post_form(f"/waiting-list/{entry.id}/book", form, token_from="/waiting-list/")
    assert confirm.status_code == 200
    assert "Screening warnings" in confirm.get_data(as_text=True)
    assert db.session.query(Appointment).filter_by(patient_id=entry.patient_id).count() == 0
    done = post_form(f"/waiting-list/{entry.id}/book", {**form, "confirm": "1"}, token_from="/waiting-list/")
    assert done.status_code == 302
    appointment = db.session.query(Appointment).filter_by(patient_id=entry.patient_id).one()
    db.session.refresh(entry)
    assert entry.status == EntryStatus.BOOKED and entry.appointment_id == appointment.id
    assert appointment.start_at.astimezone(paris.tz).isoformat() == ten(paris)
    again = post_form(f"/waiting-list/{entry.id}/book", {**form, "confirm": "1"}, token_from="/waiting-list/")
    assert again.status_code == 302 and f"/appointments/{appointment.id}" in again.headers["Location"]
    assert db.session.query(Appointment).filter_by(patient_id=entry.patient_id).count() == 1


def test_an_entry_is_removed(db, client, login_as, entry, post_form):
    login_as("front_desk")
    assert post_form(f"/waiting-list/{entry.id}/remove", token_from="/waiting-list/").status_code == 302
    db.session.refresh(entry)
    assert entry.status == EntryStatus.REMOVED


def test_another_organisation_finds_nothing(db, client, login_as, make_site, entry, freed, paris, post_form):
    """Every route that takes an entry or a patient answers 404 to a user of another organisation."""
    elsewhere = make_site(country="US", tz="America/Chicago", language="en")
    login_as("front_desk", sites=[elsewhere])
    form = {"start": ten(paris), "physician": str(freed.physician_id)}
    assert client.get(f"/waiting-list/new/{entry.patient_id}").status_code == 404
    for path in (f"/waiting-list/{entry.id}/book", f"/waiting-list/{entry.id}/offer", f"/waiting-list/{entry.id}/remove",
                 f"/waiting-list/new/{entry.patient_id}"):
        assert post_form(path, form, token_from="/waiting-list/").status_code == 404, path
    assert "Attente" not in client.get("/waiting-list/").get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.status == EntryStatus.WAITING


def test_the_day_is_the_sites(db, entry, freed, paris):
    """The offers are at the site's local times (10:00 in Paris on the Wednesday)."""
    offers = services.offers_for(entry)
    assert any(o.start_at.astimezone(paris.tz).date() == WEDNESDAY and o.start_at.astimezone(paris.tz).hour == 10
               for o in offers)


def test_a_refused_entry_keeps_the_form_with_the_reason(db, client, login_as, make_patient, paris, post_form):
    """A last day that has passed answers 422 on the form, in the reader's words, and adds nobody."""
    login_as("front_desk")
    patient = make_patient(site=paris)
    path = f"/waiting-list/new/{patient.id}"
    response = post_form(path, {"site": paris.code, "procedure": PROCEDURE, "physician": "", "time_of_day": "",
                                "from_date": "", "to_date": "2026-02-01"}, token_from=path)
    assert response.status_code == 422
    assert "has not passed yet" in response.get_data(as_text=True)
    assert db.session.query(WaitingEntry).filter_by(patient_id=patient.id).count() == 0


def test_the_list_is_paged_in_order_of_waiting(db, client, login_as, make_patient, paris, frozen):
    """25 a page; the 26th to come is on the second page."""
    import datetime as dt

    for n in range(26):
        frozen.shift(dt.timedelta(minutes=1))
        services.add_entry(make_patient(site=paris, last_name=f"Rang{n:02d}"), paris, PROCEDURE, None)
    db.session.commit()
    login_as("front_desk")
    first = client.get("/waiting-list/").get_data(as_text=True)
    assert "Rang00" in first and "Rang24" in first and "Rang25" not in first
    assert first.index("Rang00") < first.index("Rang01")
    second = client.get("/waiting-list/?page=2").get_data(as_text=True)
    assert "Rang25" in second and "Rang00" not in second
