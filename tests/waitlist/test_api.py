"""POST and GET /api/v1/waiting-list: an entry is made for a patient of the caller's organisation, and
the list shows, in order of waiting, the freed times that match each entry while they stay free."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from clinic.scheduling import staffing
from clinic.timeutil import local_to_utc
from clinic.waitlist.models import EntryStatus, WaitingEntry
from tests import factories
from tests.waitlist.conftest import PROCEDURE, WEDNESDAY, ten
from tests.web import statements as sent_statements


def _entry(client, headers, patient, site, **more):
    body = {"patient_id": patient.id, "location": site.code, "procedure": PROCEDURE, **more}
    return client.post("/api/v1/waiting-list", json=body, headers=headers)


def _offers(client, headers, site):
    response = client.get(f"/api/v1/waiting-list?location={site.code}", headers=headers)
    assert response.status_code == 200
    return {e["id"]: [o["start"] for o in e["offers"]] for e in response.get_json()["entries"]}


def test_an_entry_is_created(db, client, api_as, make_patient, paris, doctor):
    """201 with the entry, waiting, and no offer yet."""
    patient = make_patient(site=paris)
    response = _entry(client, api_as(), patient, paris, physician_id=doctor.id, **{"from": "2026-03-03", "to": "2026-03-20"})
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("patient_id", "location", "procedure", "status", "offers")} == {
        "patient_id": patient.id, "location": paris.code, "procedure": PROCEDURE, "status": "waiting", "offers": []}
    assert body["from"] == "2026-03-03" and body["to"] == "2026-03-20" and isinstance(body["id"], int)


def test_a_bad_body_is_422_naming_each_field(db, client, api_as, make_patient, paris):
    """An unknown procedure, a date that is not one, a time of day not known and an unknown field."""
    patient = make_patient(site=paris)
    response = _entry(client, api_as(), patient, paris, procedure="nope", times="evening", colour="red",
                      **{"from": "03/03/2026", "to": "2026-03-01"})
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert {"from", "times", "colour"} <= set(details)
    response = _entry(client, api_as(), patient, paris, procedure="nope", **{"from": "2026-03-05", "to": "2026-03-04"})
    assert response.status_code == 422
    assert {"procedure", "to"} <= set(response.get_json()["error"]["details"])


def test_a_patient_of_another_organisation_is_404(db, client, api_as, make_patient, paris, minnesota):
    """The patient does not exist for a caller of another organisation."""
    stranger = make_patient(site=minnesota)
    response = _entry(client, api_as(), stranger, paris)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_another_site_list_is_403(db, client, api_as, minnesota):
    assert client.get(f"/api/v1/waiting-list?location={minnesota.code}", headers=api_as()).status_code == 403


def test_a_cancellation_offers_its_time_until_it_is_booked(db, client, api_as, make_patient, paris, taken):
    """Before the cancellation nothing is offered; after it 10:00 is offered to the entries in order of
    waiting; booked again, it is offered no more."""
    headers = api_as()
    first, second = make_patient(site=paris), make_patient(site=paris)
    one = _entry(client, headers, first, paris).get_json()["id"]
    two = _entry(client, headers, second, paris, times="afternoon").get_json()["id"]
    assert _offers(client, headers, paris) == {one: [], two: []}
    cancelled = client.post(f"/api/v1/appointments/{taken.id}/cancel", json={"reason": "Flu"}, headers=headers)
    assert cancelled.status_code == 200
    offers = _offers(client, headers, paris)
    assert list(offers) == [one, two]            # in order of waiting
    assert ten(paris) in offers[one] and offers[two] == []   # the second waits for an afternoon
    booked = client.post("/api/v1/appointments", headers=headers, json={
        "patient_id": make_patient(site=paris).id, "location": paris.code, "procedure": PROCEDURE,
        "start": ten(paris), "physician_id": taken.physician_id})
    assert booked.status_code == 201, booked.get_json()
    assert ten(paris) not in _offers(client, headers, paris)[one]


def test_booking_a_waiting_patient_over_the_api_closes_their_entry(db, client, api_as, make_patient, paris, taken):
    """The booking's read of the patient says whether they wait: one who waits has the entry for this
    procedure and site booked with the appointment; another patient's entry stays waiting."""
    headers = api_as()
    waiting, other = make_patient(site=paris), make_patient(site=paris)
    mine = _entry(client, headers, waiting, paris).get_json()["id"]
    theirs = _entry(client, headers, other, paris).get_json()["id"]
    assert client.post(f"/api/v1/appointments/{taken.id}/cancel", json={"reason": "Flu"},
                       headers=headers).status_code == 200
    body = {"patient_id": waiting.id, "location": paris.code, "procedure": PROCEDURE, "start": ten(paris),
            "physician_id": taken.physician_id}
    db.session.expunge_all()    # the booking reads the patient afresh, as a worker's new session does
    booked = client.post("/api/v1/appointments", headers=headers, json=body)
    assert booked.status_code == 201, booked.get_json()
    entries = {e["id"]: e for e in client.get(f"/api/v1/waiting-list?location={body['location']}",
                                               headers=headers).get_json()["entries"]}
    rows = {row.id: row for row in db.session.execute(
        sa.select(WaitingEntry).where(WaitingEntry.id.in_([mine, theirs]))).scalars()}
    assert rows[mine].status == EntryStatus.BOOKED and rows[mine].appointment_id == booked.get_json()["id"]
    assert rows[theirs].status == EntryStatus.WAITING and entries[theirs]["status"] == "waiting"


def test_time_off_removed_offers_its_times(db, client, api_as, login_as, make_patient, paris, doctor, post_form):
    """Removing a morning off (admin page) offers its starts to a patient waiting for a morning."""
    absence = staffing.add_time_off(doctor, local_to_utc(WEDNESDAY, dt.time(8), paris.tz),
                                    local_to_utc(WEDNESDAY, dt.time(12), paris.tz), "Congress", paris)
    db.session.commit()
    headers = api_as()
    entry = _entry(client, headers, make_patient(site=paris), paris, times="morning",
                   **{"from": WEDNESDAY.isoformat(), "to": WEDNESDAY.isoformat()}).get_json()["id"]
    assert _offers(client, headers, paris) == {entry: []}
    login_as("admin")
    path = f"/admin/physicians/{doctor.id}/time-off/{absence.id}/remove"
    assert post_form(path, token_from=path).status_code == 302
    starts = _offers(client, headers, paris)[entry]
    assert starts and ten(paris) in starts
    assert all(dt.datetime.fromisoformat(s).hour < 12 for s in starts)


def test_new_working_hours_offer_the_new_day(db, client, api_as, make_patient, paris):
    """A physician who starts working on Saturdays frees those Saturdays for the waiting patients."""
    physician = factories.user("physician", sites=[paris], hours=False)
    headers = api_as()
    entry = _entry(client, headers, make_patient(site=paris), paris, physician_id=physician.id).get_json()["id"]
    staffing.set_schedule(physician, paris, dt.date(2026, 3, 2), {5: [(dt.time(9), dt.time(12))]})
    db.session.commit()
    starts = _offers(client, headers, paris)[entry]
    assert starts and all(dt.datetime.fromisoformat(s).weekday() == 5 for s in starts)


def test_a_reschedule_offers_the_old_time(db, client, api_as, make_patient, paris, taken):
    """Moving the 10:00 appointment to 14:00 frees 10:00 for the waiting patients."""
    headers = api_as()
    entry = _entry(client, headers, make_patient(site=paris), paris).get_json()["id"]
    later = dt.datetime.combine(WEDNESDAY, dt.time(14), paris.tz).isoformat()
    moved = client.post(f"/api/v1/appointments/{taken.id}/reschedule", json={"start": later}, headers=headers)
    assert moved.status_code == 200, moved.get_json()
    starts = _offers(client, headers, paris)[entry]
    assert ten(paris) in starts and later not in starts


def test_booking_the_patient_elsewhere_serves_the_entry(db, client, api_as, make_patient, paris, taken):
    """A booking of the waiting patient for that procedure at that site, however made, takes them off the list."""
    headers = api_as()
    patient = make_patient(site=paris)
    entry = _entry(client, headers, patient, paris).get_json()["id"]
    client.post(f"/api/v1/appointments/{taken.id}/cancel", json={"reason": "Flu"}, headers=headers)
    booked = client.post("/api/v1/appointments", headers=headers, json={
        "patient_id": patient.id, "location": paris.code, "procedure": PROCEDURE, "start": ten(paris)})
    assert booked.status_code == 201
    assert entry not in _offers(client, headers, paris)


def test_a_longer_list_costs_no_more_statements(db, app, client, api_as, make_patient, paris, taken):
    """The freed times of a whole list are read in one query, and the entries waiting alike share one
    search of free times: the list's answer (as the home page's line) costs as many statements for
    eight entries as for two, and the offers are the same as entry by entry."""
    from clinic.extensions import db as database

    headers = api_as()
    for _ in range(2):
        _entry(client, headers, make_patient(site=paris), paris)
    assert client.post(f"/api/v1/appointments/{taken.id}/cancel", json={"reason": "Flu"},
                       headers=headers).status_code == 200

    def statements() -> int:
        with sent_statements(database) as sent:
            assert _offers(client, headers, paris)
        return len(sent)

    _offers(client, headers, paris)   # warm the caches
    few = statements()
    for _ in range(6):
        _entry(client, headers, make_patient(site=paris), paris)
    listed = _offers(client, headers, paris)
    assert statements() == few
    with app.app_context():
        from clinic.waitlist import services
        from clinic.waitlist.models import WaitingEntry

        for entry_id, starts in listed.items():
            one = [o.start_at for o in services.offers_for(database.session.get(WaitingEntry, entry_id))]
            assert [dt.datetime.fromisoformat(s) for s in starts] == one and one
