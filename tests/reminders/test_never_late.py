"""Never late: after a dispatcher outage of a week, no message about an appointment that has
started goes out (the confirmation, the 'moved' notice and the cancellation notice included), and
after-care advice for a day that has passed is skipped; what is still timely goes out once. The text
messages (channel sms) follow the same rule."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from clinic.reminders.dispatcher import dispatch_until_empty
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.reminders.schedule import rules
from clinic.scheduling import signals
from clinic.scheduling.models import AppointmentStatus

BOOKED_AT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)  # the dispatcher stops here
HOLD = {"drug": "warfarin", "stop_on": "2026-06-05", "restart_after": "2026-06-11T10:30:00+02:00", "note": ""}
STARTED = "unsent at the procedure's start"
OUT_OF_DATE = "out of date: its advice is for a day that has passed"


def _rows(db, appointment) -> list[Reminder]:
    rows = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment.id)
                              .order_by(Reminder.id)).scalars().all()
    for row in rows:
        db.session.refresh(row)
    return list(rows)


def _full_appointment(make_appointment, make_patient):
    """One appointment that plans every scheduled kind: sedation, diabetes, a blood-thinner hold, booked
    more than a week ahead (local 10:00 on Wednesday 10 June 2026, Paris)."""
    patient = make_patient(language="fr", conditions=["diabetes"], medications=["warfarin"])
    return make_appointment(patient=patient, sedation=True, medication_holds=[HOLD])


def _after_outage(at: dt.datetime):
    with time_machine.travel(at, tick=False):
        return dispatch_until_empty(worker_id="back-after-a-week")


def test_every_kind_after_a_week_long_outage(db, smtp, make_appointment, make_patient):
    """Back a week after the procedure (Wednesday 17 June, 11:00 local): the notice and every reminder
    before the start are skipped with the reason; after-care due more than a day ago is skipped as out
    of date; the day-7 question (due an hour ago) goes out; the day-14 follow-up stays planned."""
    appointment = _full_appointment(make_appointment, make_patient)
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    back = appointment.start_at + dt.timedelta(days=7, hours=1)
    _after_outage(back)
    outcome = {row.kind: (row.status, row.last_error) for row in _rows(db, appointment)}
    skipped_at_start = {"confirmation", "medication_stop", "week_before", "day_before", "fasting"}
    out_of_date = {"aftercare_evening", "aftercare_day1", "aftercare_day3", "glucose_check", "medication_restart"}
    assert {k for k, v in outcome.items() if v == (ReminderStatus.SKIPPED, STARTED)} == skipped_at_start
    assert {k for k, v in outcome.items() if v == (ReminderStatus.SKIPPED, OUT_OF_DATE)} == out_of_date
    assert outcome["pain_score_day7"][0] == ReminderStatus.SENT
    assert outcome["followup_day14"][0] == ReminderStatus.PLANNED
    sent = [db.session.get(Reminder, i).kind for i in smtp.recorder.row_ids()]
    assert sent == ["pain_score_day7"]


def test_moved_notice_after_a_week_long_outage(db, smtp, make_appointment, make_patient):
    """A reschedule, then the dispatcher down until a week after the new start: the 'moved' notice
    is skipped, never sent late."""
    appointment = _full_appointment(make_appointment, make_patient)
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    old_start, shift = appointment.start_at, dt.timedelta(days=1)
    appointment.start_at += shift
    appointment.end_at += shift
    appointment.block_end_at += shift
    appointment.ical_sequence += 1
    with time_machine.travel(BOOKED_AT + dt.timedelta(days=1), tick=False):
        signals.appointment_rescheduled.send(appointment, old_start_at=old_start, old_end_at=None)
    _after_outage(appointment.start_at + dt.timedelta(days=7, hours=1))
    moved = [r for r in _rows(db, appointment) if r.kind == "rescheduled"]
    assert [(r.status, r.last_error) for r in moved] == [(ReminderStatus.SKIPPED, STARTED)]
    assert "rescheduled" not in {db.session.get(Reminder, i).kind for i in smtp.recorder.row_ids()}


def test_cancellation_notice_after_a_week_long_outage(db, smtp, make_appointment, make_patient):
    """Cancelled, then the dispatcher down until after the time it had: the notice is skipped and
    every other row is cancelled; nothing reaches the patient."""
    appointment = _full_appointment(make_appointment, make_patient)
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
        appointment.status = AppointmentStatus.CANCELLED
        signals.appointment_cancelled.send(appointment, reason="patient unwell")
    _after_outage(appointment.start_at + dt.timedelta(days=7))
    rows = _rows(db, appointment)
    notice = [r for r in rows if r.kind == "cancellation"]
    assert [(r.status, r.last_error) for r in notice] == [(ReminderStatus.SKIPPED, STARTED)]
    assert all(r.status == ReminderStatus.CANCELLED for r in rows if r.kind != "cancellation")
    assert smtp.messages == []


def test_an_ablation_with_a_shared_decision_after_a_week_long_outage(db, smtp, make_appointment, make_patient):
    """An ablation whose aspirin is left to the prescriber, the dispatcher back a week after it: the
    'ask your prescriber' message is skipped at the start, the ablation's own day-3 advice as out of date."""
    shared = {"drug": "aspirin", "action": "shared_decision", "stop_on": None, "restart_after": None, "note": ""}
    appointment = make_appointment(patient=make_patient(language="fr", medications=["aspirin"]),
                                   medication_holds=[shared], procedure_code="rfa", region="lumbar")
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    _after_outage(appointment.start_at + dt.timedelta(days=7, hours=1))
    outcome = {row.kind: (row.status, row.last_error) for row in _rows(db, appointment)}
    assert outcome["medication_decision"] == (ReminderStatus.SKIPPED, STARTED)
    assert outcome["aftercare_day3_rfa"] == (ReminderStatus.SKIPPED, OUT_OF_DATE)


def test_a_no_show_notice_after_a_week_long_outage(db, smtp, make_appointment, make_patient):
    """The one notice written after the start: a no-show's 're-arranged, keep your medicines' message
    still goes out when the dispatcher comes back a week later (it is still true), and nothing else."""
    appointment = _full_appointment(make_appointment, make_patient)
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    with time_machine.travel(appointment.start_at + dt.timedelta(minutes=30), tick=False):
        old = appointment.status
        appointment.status = AppointmentStatus.NO_SHOW
        signals.appointment_status_changed.send(appointment, old_status=old, new_status=AppointmentStatus.NO_SHOW)
    _after_outage(appointment.start_at + dt.timedelta(days=7, hours=1))
    outcome = {row.kind: row.status for row in _rows(db, appointment)}
    assert outcome["rearrange"] == ReminderStatus.SENT
    assert outcome["medication_stop"] == ReminderStatus.CANCELLED and outcome["confirmation"] == ReminderStatus.SKIPPED
    assert [db.session.get(Reminder, i).kind for i in smtp.recorder.row_ids()] == ["rearrange"]


def test_text_messages_after_a_week_long_outage(db, smtp, gateway, make_appointment, make_patient):
    """An opted-in patient's SMS of the stop and day-before reminders, the dispatcher back after the
    start: skipped with the reason like their e-mails; the gateway hears nothing."""
    patient = make_patient(language="fr", medications=["warfarin"], phone="+33612345678", sms_opt_in=True)
    appointment = make_appointment(patient=patient, medication_holds=[HOLD])
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    _after_outage(appointment.start_at + dt.timedelta(minutes=1))
    texts = [(r.kind, r.status, r.last_error) for r in _rows(db, appointment) if r.channel == "sms"]
    assert sorted(texts) == [("day_before", ReminderStatus.SKIPPED, STARTED),
                             ("medication_stop", ReminderStatus.SKIPPED, STARTED)]
    assert gateway.received == []


def test_the_tests_cover_every_kind():
    """Every kind of the schedule (the notices included) has its outcome asserted above."""
    covered = {"confirmation", "medication_stop", "week_before", "day_before", "fasting", "aftercare_evening",
               "aftercare_day1", "aftercare_day3", "glucose_check", "medication_restart", "pain_score_day7",
               "followup_day14", "rescheduled", "cancellation", "medication_decision", "aftercare_day3_rfa",
               "rearrange"}
    assert set(rules()) == covered


def test_a_late_reminder_before_the_start_still_goes_out(db, smtp, make_appointment, make_patient):
    """Down for a week but back before the start (Tuesday 9 June, 20:00 local): the confirmation and
    the reminders are late yet still timely, so they go out, each once."""
    appointment = _full_appointment(make_appointment, make_patient)
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    _after_outage(appointment.start_at - dt.timedelta(hours=14))
    sent = sorted(db.session.get(Reminder, i).kind for i in smtp.recorder.row_ids())
    assert sent == ["confirmation", "day_before", "fasting", "medication_stop", "week_before"]
