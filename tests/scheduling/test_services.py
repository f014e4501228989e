"""Booking, rescheduling and cancelling through the services."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.errors import Conflict, DomainError
from clinic.scheduling import services, signals, writes
from clinic.scheduling.availability import Slot
from clinic.scheduling.models import Appointment, AppointmentChange, AppointmentStatus
from clinic.screening.services import Finding, MedicationHold, ScreeningResult
from tests import factories

UTC = dt.UTC


@pytest.fixture
def caught():
    """Record the appointment signals sent during a test."""
    seen = []
    receivers = {}
    for name in ("appointment_booked", "appointment_rescheduled", "appointment_cancelled"):
        def receiver(sender, _name=name, **kw):
            seen.append((_name, sender, kw))
        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield seen
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def count(db):
    return db.session.execute(sa.select(sa.func.count(Appointment.id))).scalar_one()


def test_book_stores_screening_and_history_and_signals(db, paris, physician, make_user, book, frozen, caught, monkeypatch):
    """A booking keeps the screening result, who booked, a history row, and sends appointment_booked."""
    frozen(2026, 2, 20)
    doc = physician(paris)
    desk = make_user("front_desk", sites=[paris])
    result = ScreeningResult(
        warnings=[Finding("sedation_fasting", "Fast for 6 hours.", "site policy")],
        holds=[MedicationHold("apixaban", "2026-02-27", "2026-03-03T15:00:00+01:00", "Stop 3 days before.")],
        preparation=[{"code": "fasting", "text": "Nothing to eat."}],
    )
    monkeypatch.setattr(services, "evaluate", lambda ctx: result)
    appt = book(paris, "2026-03-02T09:00:00+01:00", user=desk, sedation=True, region="lumbar", side="left",
                levels=("L4-L5",), answers={"fever": False, "conservative_care_weeks": 8})
    assert appt.physician_id == doc.id and appt.room_id == paris.rooms[0].id
    assert appt.start_at == dt.datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert appt.block_end_at - appt.start_at == dt.timedelta(minutes=30 + paris.turnover_minutes)
    assert appt.warnings == [{"code": "sedation_fasting", "message": "Fast for 6 hours.", "source": "site policy"}]
    assert appt.medication_holds[0]["drug"] == "apixaban" and appt.preparation[0]["code"] == "fasting"
    assert appt.booked_by_id == desk.id and appt.screening == {"fever": False, "conservative_care_weeks": 8}
    changes = db.session.execute(sa.select(AppointmentChange).where(AppointmentChange.appointment_id == appt.id)).scalars().all()
    assert [c.action for c in changes] == ["booked"]
    assert [(name, sender) for name, sender, _ in caught] == [("appointment_booked", appt)]


def test_refusal_answers_422_with_its_code_and_writes_nothing(db, paris, physician, book, frozen, caught):
    """A fever refuses the booking with code `fever`; no row, no signal."""
    frozen(2026, 2, 20)
    physician(paris)
    before = count(db)
    with pytest.raises(DomainError) as err:
        book(paris, "2026-03-02T09:00:00+01:00", answers={"fever": True})
    assert err.value.status == 422 and err.value.code == "fever"
    assert count(db) == before and caught == []


def test_physician_override_books_and_others_are_forbidden(db, paris, physician, make_user, book, frozen):
    """A physician's reason overrides a refusal and is stored; the front desk's answers 403."""
    frozen(2026, 2, 20)
    doc = physician(paris)
    desk = make_user("front_desk", sites=[paris])
    with pytest.raises(DomainError) as err:
        book(paris, "2026-03-02T09:00:00+01:00", user=desk, answers={"fever": True}, override_reason="Low grade, checked")
    assert err.value.status == 403
    appt = book(paris, "2026-03-02T09:00:00+01:00", user=doc, answers={"fever": True}, override_reason="Low grade, checked")
    assert appt.override_reason == "Low grade, checked" and appt.override_by_id == doc.id
    assert "fever" in [w["code"] for w in appt.warnings]


def test_invalid_input_names_each_field(paris, physician, book, frozen):
    """Unknown region for the procedure, bad side, bad level and bad answer are all named."""
    frozen(2026, 2, 20)
    physician(paris)
    with pytest.raises(DomainError) as err:
        book(paris, "2026-03-02T09:00:00+01:00", procedure="esi-caudal", region="cervical", side="up",
             levels=("L4/L5",), answers={"fever": "yes", "mood": True})
    assert err.value.status == 422
    assert set(err.value.details) == {"region", "side", "levels", "screening.fever", "screening.mood"}


def test_taken_or_unoffered_slot_is_409_and_window_is_422(paris, physician, book, frozen):
    """A taken slot and a time outside hours answer 409 slot_unavailable; too soon answers 422."""
    frozen(2026, 2, 20)
    physician(paris)
    book(paris, "2026-03-02T09:00:00+01:00")
    for start in ("2026-03-02T09:15:00+01:00", "2026-03-02T19:00:00+01:00", "2026-03-02T09:05:00+01:00"):
        with pytest.raises(DomainError) as err:
            book(paris, start)
        assert (err.value.status, err.value.code) == (409, "slot_unavailable")
    with pytest.raises(DomainError) as err:
        book(paris, "2026-02-20T15:00:00+01:00")
    assert (err.value.status, err.value.code) == (422, "outside_booking_window")


def test_free_physician_is_chosen_when_none_is_given(paris, physician, book, frozen):
    """Two bookings at the same time with two physicians and two rooms go to different ones."""
    frozen(2026, 2, 20)
    paris.rooms.append(type(paris.rooms[0])(name="Room 2", modalities=["fluoroscopy"]))
    a, b = physician(paris), physician(paris)
    first = book(paris, "2026-03-02T09:00:00+01:00")
    second = book(paris, "2026-03-02T09:00:00+01:00")
    assert {first.physician_id, second.physician_id} == {a.id, b.id}
    assert first.room_id != second.room_id


def test_reschedule_keeps_id_and_history(db, paris, physician, book, frozen, caught):
    """Rescheduling keeps the id, records old and new times, raises the sequence, clears the flag."""
    frozen(2026, 2, 20)
    physician(paris)
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    appt.needs_reschedule = True
    old_start, old_end = appt.start_at, appt.end_at
    moved = services.reschedule(appt, dt.datetime(2026, 3, 2, 8, 15, tzinfo=UTC), None)   # 09:15 Paris: overlaps itself
    assert moved.id == appt.id and moved.start_at == dt.datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert moved.ical_sequence == 1 and moved.needs_reschedule is False
    changes = db.session.execute(sa.select(AppointmentChange).where(AppointmentChange.appointment_id == appt.id)
                                 .order_by(AppointmentChange.id)).scalars().all()
    assert [c.action for c in changes] == ["booked", "rescheduled"]
    assert changes[1].old_start_at == old_start and changes[1].new_start_at == moved.start_at
    name, sender, kw = caught[-1]
    assert name == "appointment_rescheduled" and kw == {"old_start_at": old_start, "old_end_at": old_end}


def test_cancel_needs_a_reason_and_only_once(paris, physician, book, frozen, caught):
    """No reason answers 422; a cancelled appointment answers 409 invalid_state; the signal carries the reason."""
    frozen(2026, 2, 20)
    physician(paris)
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    with pytest.raises(DomainError) as err:
        services.cancel(appt, "  ", None)
    assert err.value.status == 422 and "reason" in err.value.details
    services.cancel(appt, "Patient is travelling", None)
    assert appt.status == AppointmentStatus.CANCELLED and appt.cancel_reason == "Patient is travelling"
    assert caught[-1][0] == "appointment_cancelled" and caught[-1][2] == {"reason": "Patient is travelling"}
    with pytest.raises(DomainError) as err:
        services.cancel(appt, "again", None)
    assert (err.value.status, err.value.code) == (409, "invalid_state")
    with pytest.raises(DomainError) as err:
        services.reschedule(appt, dt.datetime(2026, 3, 3, 8, tzinfo=UTC), None)
    assert (err.value.status, err.value.code) == (409, "invalid_state")


def test_cancelled_slot_is_free_again(paris, physician, book, frozen):
    """A cancelled appointment no longer holds the physician or the room."""
    frozen(2026, 2, 20)
    physician(paris)
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    services.cancel(appt, "No longer needed", None)
    assert book(paris, "2026-03-02T09:00:00+01:00").id != appt.id


def test_database_refuses_an_overlap_on_postgresql(db, paris, physician, book, frozen, make_patient, monkeypatch):
    """Past the Python check, PostgreSQL's exclusion constraint still refuses an overlap with 409."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    frozen(2026, 2, 20)
    physician(paris)
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    clone = factories.build_appointment(paris, make_patient(), start=appt.start_at + dt.timedelta(minutes=15),
                                        minutes=(appt.end_at - appt.start_at).seconds // 60, room=appt.room, physician=appt.physician,
                                        procedure_code=appt.procedure_code)   # 15 minutes into appt
    monkeypatch.setattr(writes, "ensure_free", lambda *a: None)   # skip the friendly check
    with pytest.raises(DomainError) as err:
        writes.write_guarded(clone, paris, None, lambda first: first or services._times(
            clone, services.offered_slot(paris, clone.procedure_code, clone.start_at, None), paris))
    assert (err.value.status, err.value.code) == (409, "slot_unavailable")


def test_database_refuses_a_patient_in_two_places_on_postgresql(db, paris, make_site, physician, book, frozen,
                                                                 monkeypatch):
    """Past the Python check, PostgreSQL's exclusion constraint refuses one patient's overlapping
    appointments, in another room with another physician at another site: 409 patient_busy, at once."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    frozen(2026, 2, 20)
    physician(paris)
    lyon = make_site(code="lyon-db")
    other = physician(lyon)
    appt = book(paris, "2026-03-02T09:00:00+01:00")
    clone = factories.build_appointment(lyon, appt.patient, start=appt.start_at + dt.timedelta(minutes=15),
                                        minutes=(appt.end_at - appt.start_at).seconds // 60, room=lyon.rooms[0], physician=other,
                                        procedure_code=appt.procedure_code)   # 15 minutes into appt
    monkeypatch.setattr(writes, "ensure_free", lambda *a: None)   # skip the friendly check
    tries = []
    with pytest.raises(DomainError) as err:
        writes.write_guarded(clone, lyon, None, tries.append)
    assert (err.value.status, err.value.code) == (409, "patient_busy")
    assert tries == [True]  # no retry: a busy patient is final


@pytest.fixture
def stale_first_offer(monkeypatch):
    """The slot a request chose before a rival committed: the first offer is `slot`, then the truth."""
    def use(slot):
        real = services.offered_slot
        calls = []

        def offered(*args, **kwargs):
            calls.append(1)
            return slot if len(calls) == 1 else real(*args, **kwargs)

        monkeypatch.setattr(services, "offered_slot", offered)
        return calls

    return use


def test_a_room_taken_meanwhile_gives_way_to_another_free_room(db, make_site, physician, book, frozen,
                                                               stale_first_offer):
    """Two requests chose the same first room; the one writing second takes the other room, not a 409."""
    frozen(2026, 2, 20)
    site = make_site(rooms=[("Room A", ["fluoroscopy"]), ("Room B", ["fluoroscopy"])])
    first_doc, second_doc = physician(site), physician(site)
    nine = "2026-03-02T09:00:00+01:00"
    taken = book(site, nine, physician=first_doc)
    stale = Slot(taken.start_at, taken.end_at, second_doc.id, taken.room_id)
    calls = stale_first_offer(stale)
    second = book(site, nine, physician=second_doc)
    assert len(calls) == 2
    assert second.physician_id == second_doc.id and second.room_id != taken.room_id


def test_a_reschedule_onto_a_room_taken_meanwhile_moves_to_another_room_once(db, make_site, physician, book, frozen,
                                                                            stale_first_offer):
    frozen(2026, 2, 20)
    site = make_site(rooms=[("Room A", ["fluoroscopy"]), ("Room B", ["fluoroscopy"])])
    first_doc, second_doc = physician(site), physician(site)
    taken = book(site, "2026-03-02T09:00:00+01:00", physician=first_doc)
    moving = book(site, "2026-03-02T11:00:00+01:00", physician=second_doc)
    db.session.commit()
    sequence = moving.ical_sequence
    stale_first_offer(Slot(taken.start_at, taken.end_at, second_doc.id, taken.room_id))
    services.reschedule(moving, taken.start_at, None, physician_id=second_doc.id)
    db.session.commit()
    db.session.refresh(moving)
    assert moving.start_at == taken.start_at and moving.room_id != taken.room_id
    assert moving.ical_sequence == sequence + 1


def test_a_time_taken_meanwhile_with_nothing_else_free_is_refused(db, make_site, physician, book, frozen,
                                                                  stale_first_offer):
    frozen(2026, 2, 20)
    site = make_site()
    doc = physician(site)
    taken = book(site, "2026-03-02T09:00:00+01:00", physician=doc)
    stale_first_offer(Slot(taken.start_at, taken.end_at, doc.id, taken.room_id))
    with pytest.raises(Conflict) as refused:
        book(site, "2026-03-02T09:00:00+01:00")
    assert refused.value.code == "slot_unavailable"
