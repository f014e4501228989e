"""Front-desk pages: book through the week view, confirm after the warnings, reschedule, cancel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine

from clinic.scheduling.models import Appointment, AppointmentChange, AppointmentStatus, IdempotencyKey
from tests.web import booking_data as form_data
from tests.web import post_page as post
from tests.web import statements

UTC = dt.UTC


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 2, 20, tzinfo=UTC), tick=False):
        yield


def test_patient_page_links_to_booking(client, login_as, make_patient):
    """The patient page carries a Book link for the front desk."""
    login_as("front_desk")
    patient = make_patient()
    html = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f"/appointments/book/{patient.id}" in html


def test_week_view_then_confirm_then_book(client, db, paris, make_user, login_as, make_patient):
    """Search shows the week with 09:00 as a button; picking shows warnings; confirming books."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    patient = make_patient()
    url = f"/appointments/book/{patient.id}"
    assert client.get(url).status_code == 200
    r = post(client, url, form_data(paris, search="1"))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="2026-03-02T09:00:00+01:00"' in html and ">09:00<" in html
    r = post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00", possible_pregnancy="y"))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Screening warnings" in html and 'name="confirm"' in html
    assert 'name="possible_pregnancy" value="y"' in html and 'value="L4-L5"' in html
    r = post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00", confirm="1"))
    assert r.status_code == 302
    appt = db.session.execute(sa.select(Appointment).where(Appointment.patient_id == patient.id)).scalar_one()
    assert appt.start_at == dt.datetime(2026, 3, 2, 8, tzinfo=UTC) and appt.levels == ["L4-L5"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "09:00" in page and "Reschedule" in page


def test_form_keeps_what_was_typed_on_error(client, paris, make_user, login_as, make_patient):
    """Bad levels re-render the form with 422, the error, and every typed value kept."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    patient = make_patient()
    r = post(client, f"/appointments/book/{patient.id}", form_data(paris, levels="L4/L5", fever="y", search="1"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="L4/L5"' in html and "L4-L5, L5-S1" in html
    assert re.search(r'id="fever"[^>]*checked|checked[^>]*id="fever"', html)


def test_refusal_and_taken_slot_show_the_message(client, paris, make_user, login_as, make_patient):
    """A fever shows the refusal; a taken slot shows the conflict; nothing is booked."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    patient = make_patient()
    url = f"/appointments/book/{patient.id}"
    r = post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00", fever="y"))
    assert r.status_code == 422 and "Fever" in r.get_data(as_text=True)
    assert post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00", confirm="1")).status_code == 302
    other = f"/appointments/book/{make_patient().id}"
    r = post(client, other, form_data(paris, start="2026-03-02T09:00:00+01:00", confirm="1"))
    assert r.status_code == 409 and "not free" in r.get_data(as_text=True)


def test_patient_elsewhere_is_told_in_the_readers_language(client, db, paris, make_site, make_user, login_as,
                                                           make_patient):
    """Booking a patient already booked at an overlapping time at another site: 409, the patient-busy
    message (English, then French), nothing booked the second time."""
    lyon = make_site(code="lyon-test")
    make_user("physician", sites=[paris, lyon])
    user = login_as("front_desk", sites=[paris, lyon])
    patient = make_patient()
    url = f"/appointments/book/{patient.id}"
    assert post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00", confirm="1")).status_code == 302
    r = post(client, url, form_data(lyon, start="2026-03-02T09:15:00+01:00", confirm="1"))
    assert r.status_code == 409 and "already has an appointment at an overlapping time" in r.get_data(as_text=True)
    user.language = "fr"
    db.session.commit()
    r = post(client, url, form_data(lyon, start="2026-03-02T09:15:00+01:00"))
    assert r.status_code == 409 and "a déjà un rendez-vous à une heure qui chevauche" in r.get_data(as_text=True)
    count = db.session.execute(sa.select(sa.func.count(Appointment.id)).where(
        Appointment.patient_id == patient.id)).scalar_one()
    assert count == 1


def test_resubmitted_confirmation_books_once(client, db, paris, make_user, login_as, make_patient):
    """The confirmation carries a key: submitting it twice (back, then confirm again) leads to the
    booking already made, and the form follows post-redirect-get."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    patient = make_patient()
    url = f"/appointments/book/{patient.id}"
    html = post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00")).get_data(as_text=True)
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    first = post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00", confirm="1", form_key=key))
    again = post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00", confirm="1", form_key=key))
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert "already made" in client.get(again.headers["Location"]).get_data(as_text=True)
    ids = db.session.execute(sa.select(Appointment.id).where(Appointment.patient_id == patient.id)).scalars().all()
    assert len(ids) == 1 and first.headers["Location"].endswith(f"/appointments/{ids[0]}")
    kept = db.session.execute(sa.select(IdempotencyKey).where(IdempotencyKey.user_id.is_not(None))).scalars().all()
    assert [k.organisation_id for k in kept] == [patient.organisation_id]   # the key's answer is patient data
    other = make_patient()
    r = post(client, f"/appointments/book/{other.id}",
             form_data(paris, start="2026-03-02T10:00:00+01:00", confirm="1", form_key=key))
    assert r.status_code == 422  # a key is one form's: used for another patient, it books nothing
    assert db.session.execute(sa.select(Appointment.id).where(Appointment.patient_id == other.id)).first() is None


@pytest.mark.parametrize("day, site_name", [
    ("2026-03-09", "paris"), ("2026-03-16", "paris"), ("2026-03-30", "paris"),
    ("2026-03-09", "minnesota"), ("2026-03-16", "minnesota"), ("2026-03-30", "minnesota"),
])
def test_ui_shows_nine_local_on_dst_mondays(request, client, db, make_user, login_as, make_patient, day, site_name):
    """The week view offers 09:00 and the appointment page shows 09:00 local on the DST Mondays."""
    site = request.getfixturevalue(site_name)
    make_user("physician", sites=[site])
    login_as("front_desk", sites=[site])
    patient = make_patient()
    url = f"/appointments/book/{patient.id}"
    r = post(client, url, form_data(site, week=day, search="1"))
    match = re.search(rf'value="({day}T09:00:00[+-]\d\d:\d\d)"', r.get_data(as_text=True))
    assert match, "09:00 is offered"
    r = post(client, url, form_data(site, start=match.group(1), confirm="1"))
    assert r.status_code == 302
    appt = db.session.execute(sa.select(Appointment).where(Appointment.patient_id == patient.id)).scalar_one()
    assert appt.start_at == dt.datetime.fromisoformat(match.group(1)).astimezone(UTC)
    assert appt.start_at.astimezone(site.tz).hour == 9
    assert "09:00" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_reschedule_cancel_and_status_pages(client, db, paris, make_user, login_as, make_patient, book):
    """Reschedule through the week view, then cancel with a reason; the history lists both."""
    make_user("physician", sites=[paris])
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    login_as("front_desk")
    url = f"/appointments/{appt.id}"
    r = client.get(f"{url}/reschedule")
    assert r.status_code == 200 and 'value="2026-03-02T10:00:00+01:00"' in r.get_data(as_text=True)
    r = post(client, f"{url}/reschedule", {"physician": "", "week": "2026-03-02", "start": "2026-03-02T10:00:00+01:00"})
    assert r.status_code == 200 and "Confirm the new time" in r.get_data(as_text=True)
    r = post(client, f"{url}/reschedule", {"physician": "", "week": "2026-03-02", "start": "2026-03-02T10:00:00+01:00", "confirm": "1"})
    assert r.status_code == 302
    db.session.refresh(appt)
    assert appt.start_at == dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    r = post(client, f"{url}/cancel", {"reason": ""})
    assert r.status_code == 422
    r = post(client, f"{url}/cancel", {"reason": "Patient called"})
    assert r.status_code == 302
    db.session.refresh(appt)
    assert appt.status == AppointmentStatus.CANCELLED
    html = client.get(url).get_data(as_text=True)
    assert "Moved" in html and "Patient called" in html


def test_check_in_refused_before_the_day_and_day_list(client, paris, make_user, login_as, book):
    """Check-in before the day flashes the refusal; the day list shows the appointment at 09:00."""
    make_user("physician", sites=[paris])
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    login_as("front_desk")
    r = post(client, f"/appointments/{appt.id}/check-in", {})
    assert r.status_code == 302
    assert "only possible on the day" in client.get(f"/appointments/{appt.id}").get_data(as_text=True)
    html = client.get(f"/appointments/?site={paris.code}&day=2026-03-02").get_data(as_text=True)
    assert "09:00–09:30" in html


def test_the_day_list_costs_as_many_statements_for_eight_rows_as_for_two(client, db, paris, make_user, login_as,
                                                                        make_appointment):
    """Each row's patient and room come with the list: no statement per row."""
    login_as("front_desk")
    url = f"/appointments/?site={paris.code}&day=2026-03-02"

    def cost(rows: int) -> int:
        for n in range(rows):
            make_appointment(site=paris, day=dt.date(2026, 3, 2), time=dt.time(8 + n))
        db.session.commit()
        db.session.expire_all()
        with statements(db) as sent:
            html = client.get(url).get_data(as_text=True)
        assert html.count("/appointments/") >= rows
        return len(sent)

    two = cost(2)
    assert cost(6) == two


def test_other_site_appointment_is_forbidden(client, make_site, make_user, login_as, book):
    """An appointment at a site the user does not work at answers 403."""
    other = make_site(code="elsewhere")
    make_user("physician", sites=[other])
    appt = book(other, "2026-03-02T09:00:00+01:00")
    login_as("front_desk")
    assert client.get(f"/appointments/{appt.id}").status_code == 403


def test_booking_page_in_french(client, db, paris, make_user, login, make_patient):
    """A French-speaking user sees the booking page in French."""
    desk = make_user("front_desk", sites=[paris])
    desk.language = "fr"
    db.session.flush()
    login(desk)
    html = client.get(f"/appointments/book/{make_patient().id}").get_data(as_text=True)
    assert "Chercher les créneaux libres" in html and "Questions de dépistage" in html


def test_far_week_never_fails(client, paris, make_user, login_as, make_patient):
    """A week at the end of the calendar shows a week, not an error page."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    r = post(client, f"/appointments/book/{make_patient().id}", form_data(paris, goto="9999-12-31"))
    assert r.status_code == 200


def _hidden(html: str) -> dict:
    """The fields a confirmation page carries on, as its confirm form would post them."""
    form = html[html.index('name="confirm"') - 6000:html.index('name="confirm"')]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    fields.pop("csrf_token", None)
    return fields


def test_booking_page_offers_the_medicines_on_file_as_a_pick_list(client, db, paris, make_user, login_as,
                                                                 make_patient):
    """The booking page lists the patient's medicines in rows tied to the vocabulary's datalist,
    with an empty row to add one; in French too."""
    make_user("physician", sites=[paris])
    desk = login_as("front_desk")
    patient = make_patient(medications=[("Kardégic 75 mg", "stent")])
    html = client.get(f"/appointments/book/{patient.id}").get_data(as_text=True)
    assert '<datalist id="drugs">' in html and '<option value="Eliquis">' in html
    assert re.search(r'name="medications-0-drug"[^>]*value="Kardégic 75 mg"', html)
    assert re.search(r'<input[^>]*list="drugs"[^>]*name="medications-1-drug"[^>]*value=""', html)
    assert html.count("<h1>") == 1 and "Current medications" in html
    desk.language = "fr"
    db.session.commit()
    html = client.get(f"/appointments/book/{patient.id}").get_data(as_text=True)
    assert "Traitements en cours" in html and "la confirmation du rendez-vous l’enregistre" in html


def test_medicine_added_at_booking_is_screened_and_saved(client, db, paris, make_user, login_as, make_patient):
    """Eliquis typed on the booking form: the confirmation shows the apixaban hold and carries the
    medicine on; confirming books and saves it on the patient, the medicine on file kept."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    patient = make_patient(medications=["Doliprane"])
    url = f"/appointments/book/{patient.id}"
    rows = {"medications-0-drug": "Doliprane", "medications-1-drug": "Eliquis 5 mg", "medications-2-drug": ""}
    r = post(client, url, form_data(paris, start="2026-03-02T09:00:00+01:00", **rows))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Medication holds" in html and "apixaban" in html.lower()
    assert "Doliprane, Eliquis 5 mg" in html
    assert [m.drug for m in db.session.get(type(patient), patient.id).medications] == ["Doliprane"]
    carried = _hidden(html)
    assert carried["medications-1-drug"] == "Eliquis 5 mg"
    r = post(client, url, {**carried, "confirm": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    assert [m.drug for m in db.session.get(type(patient), patient.id).medications] == ["Doliprane", "Eliquis 5 mg"]
    appt = db.session.execute(sa.select(Appointment).where(Appointment.patient_id == patient.id)).scalar_one()
    assert [h["drug"] for h in appt.medication_holds] == ["apixaban"]


@pytest.mark.parametrize("typed, shown, absent", [
    ("Zorglubine 10 mg", ("medication_unrecognised", "Zorglubine 10 mg"), "Medication holds"),
    ("Kardégic 75 mg", ("Medication holds", "aspirin"), "medication_unrecognised"),
])
def test_medicine_typed_at_booking_is_recognised_or_flagged(client, paris, make_user, login_as, make_patient,
                                                            typed, shown, absent):
    """A name the vocabulary does not know gives medication_unrecognised on the confirmation; a
    French brand with its dose gives its substance's hold."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    patient = make_patient()
    r = post(client, f"/appointments/book/{patient.id}",
             form_data(paris, start="2026-03-02T09:00:00+01:00", **{"medications-0-drug": typed}))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and all(text in html for text in shown) and absent not in html


def test_booking_without_medicine_rows_keeps_the_list_on_file(client, db, paris, make_user, login_as, make_patient):
    """A booking posted without the rows neither empties nor changes the patient's list."""
    make_user("physician", sites=[paris])
    login_as("front_desk")
    patient = make_patient(medications=["Eliquis"])
    r = post(client, f"/appointments/book/{patient.id}", form_data(paris, start="2026-03-02T09:00:00+01:00"))
    assert "apixaban" in r.get_data(as_text=True).lower()
    r = post(client, f"/appointments/book/{patient.id}",
             form_data(paris, start="2026-03-02T09:00:00+01:00", confirm="1"))
    assert r.status_code == 302
    db.session.expire_all()
    assert [m.drug for m in db.session.get(type(patient), patient.id).medications] == ["Eliquis"]


def _key(html: str) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


def test_resubmitted_reschedule_moves_once(client, db, paris, make_user, login_as, book):
    """The new-time confirmation carries a key: posted twice (back, then confirm again), the
    appointment moves once (its version goes up once, one "rescheduled" notice is planned) and the
    second answer leads to the appointment as it is, not to an error."""
    from clinic.reminders.models import Reminder

    make_user("physician", sites=[paris])
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    db.session.commit()
    version = appt.version
    login_as("front_desk")
    url = f"/appointments/{appt.id}/reschedule"
    move = {"physician": "", "week": "2026-03-02", "start": "2026-03-02T10:00:00+01:00"}
    data = {**move, "confirm": "1", "form_key": _key(post(client, url, move).get_data(as_text=True))}
    first = post(client, url, data)
    again = post(client, url, data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"] == f"/appointments/{appt.id}"
    page = client.get(again.headers["Location"])
    assert page.status_code == 200 and "already made" in page.get_data(as_text=True)
    db.session.expire_all()
    appt = db.session.get(Appointment, appt.id)
    assert appt.version == version + 1 and appt.start_at == dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    notices = db.session.execute(sa.select(Reminder).where(
        Reminder.appointment_id == appt.id, Reminder.kind == "rescheduled")).scalars().all()
    assert len(notices) == 1
    moves = db.session.execute(sa.select(sa.func.count()).select_from(AppointmentChange).where(
        AppointmentChange.appointment_id == appt.id, AppointmentChange.action == "rescheduled")).scalar_one()
    assert moves == 1


def test_reschedule_key_is_one_appointments(client, db, paris, make_user, login_as, make_patient, book):
    """A key shown for one appointment's new time moves no other appointment."""
    make_user("physician", sites=[paris])
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    other = book(paris, "2026-03-02T11:00:00+01:00", patient=make_patient())
    db.session.commit()
    login_as("front_desk")
    move = {"physician": "", "week": "2026-03-02", "start": "2026-03-02T10:00:00+01:00"}
    key = _key(post(client, f"/appointments/{appt.id}/reschedule", move).get_data(as_text=True))
    assert post(client, f"/appointments/{appt.id}/reschedule", {**move, "confirm": "1", "form_key": key}).status_code == 302
    r = post(client, f"/appointments/{other.id}/reschedule", {**move, "start": "2026-03-02T12:00:00+01:00",
                                                                "confirm": "1", "form_key": key})
    assert r.status_code == 422 and "already used for another change. Open the page again" in r.get_data(as_text=True)
    assert "Week of" in r.get_data(as_text=True)  # the reschedule page again, to choose afresh
    db.session.expire_all()
    assert db.session.get(Appointment, other.id).start_at == dt.datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_resubmitted_cancel_and_check_in_say_it_was_done(client, db, paris, make_user, login_as, book, frozen):
    """Cancel and check-in posted twice with their page's key: done once, and the second answer
    shows the appointment with "already", not a refusal."""
    make_user("physician", sites=[paris])
    cancelled = book(paris, "2026-03-02T09:00:00+01:00")
    db.session.commit()
    login_as("front_desk")
    url = f"/appointments/{cancelled.id}/cancel"
    data = {"reason": "Patient called", "form_key": _key(client.get(url).get_data(as_text=True))}
    assert post(client, url, data).status_code == post(client, url, data).status_code == 302
    html = client.get(f"/appointments/{cancelled.id}").get_data(as_text=True)
    assert "already cancelled" in html and "cannot be cancelled" not in html
    db.session.expire_all()
    changes = db.session.execute(sa.select(sa.func.count()).select_from(AppointmentChange).where(
        AppointmentChange.appointment_id == cancelled.id, AppointmentChange.action == "cancelled")).scalar_one()
    assert changes == 1
    arriving = book(paris, "2026-03-02T11:00:00+01:00")
    db.session.commit()
    frozen(2026, 3, 2, 9, 30)  # the day of the appointment, signed in afresh
    login_as("front_desk")
    data = {"form_key": _key(client.get(f"/appointments/{arriving.id}").get_data(as_text=True))}
    assert post(client, f"/appointments/{arriving.id}/check-in", data).status_code == 302
    assert post(client, f"/appointments/{arriving.id}/check-in", data).status_code == 302
    html = client.get(f"/appointments/{arriving.id}").get_data(as_text=True)
    assert "already checked in" in html and "cannot become" not in html
    db.session.expire_all()
    assert db.session.get(Appointment, arriving.id).status == AppointmentStatus.CHECKED_IN
