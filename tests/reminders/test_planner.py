"""Planning reminder rows from the appointment signals: offsets, local clocks, quiet hours, replans."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from clinic.reminders import planner  # noqa: F401  (connects the receivers)
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.reminders.schedule import out_of_quiet_hours, rules
from clinic.scheduling import signals
from clinic.scheduling.models import AppointmentStatus

PARIS = ZoneInfo("Europe/Paris")
CHICAGO = ZoneInfo("America/Chicago")
BOOKED_AT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
HOLD = {"drug": "apixaban", "stop_on": "2026-06-07", "restart_after": "2026-06-11T10:30:00+02:00", "note": ""}


def rows_of(db, appointment, status=None):
    query = sa.select(Reminder).where(Reminder.appointment_id == appointment.id).order_by(Reminder.send_at, Reminder.id)
    if status is not None:
        query = query.where(Reminder.status == status)
    return list(db.session.execute(query).scalars())


def local(row, tz=PARIS):
    return row.send_at.astimezone(tz).replace(tzinfo=None)


def by_kind(rows):
    return {r.kind: r for r in rows}


def test_booking_plans_confirmation_now_and_the_schedule(db, make_appointment):
    """A booking five weeks ahead: a confirmation due now and each reminder at its local time."""
    appointment = make_appointment()
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    rows = by_kind(rows_of(db, appointment))
    assert set(rows) == {"confirmation", "week_before", "day_before", "aftercare_evening", "aftercare_day1",
                         "aftercare_day3", "pain_score_day7", "followup_day14"}
    assert rows["confirmation"].send_at == BOOKED_AT
    assert local(rows["week_before"]) == dt.datetime(2026, 6, 3, 9, 0)
    assert local(rows["day_before"]) == dt.datetime(2026, 6, 9, 9, 0)
    assert local(rows["aftercare_evening"]) == dt.datetime(2026, 6, 10, 18, 0)
    assert local(rows["aftercare_day1"]) == dt.datetime(2026, 6, 11, 10, 0)
    assert local(rows["pain_score_day7"]) == dt.datetime(2026, 6, 17, 10, 0)
    assert local(rows["followup_day14"]) == dt.datetime(2026, 6, 24, 10, 0)
    assert all(r.status == ReminderStatus.PLANNED and r.next_attempt_at == r.send_at for r in rows.values())
    assert all(r.language == "fr" for r in rows.values())
    assert rows["pain_score_day7"].payload["moment"] == "day7"


def test_conditional_reminders_follow_sedation_diabetes_and_holds(db, make_appointment, make_patient):
    """Sedation adds fasting, diabetes a glucose check, each blood-thinner hold a stop and a restart."""
    patient = make_patient(language="en", conditions=["diabetes"])
    appointment = make_appointment(patient=patient, sedation=True, medication_holds=[HOLD])
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    rows = by_kind(rows_of(db, appointment))
    assert local(rows["medication_stop"]) == dt.datetime(2026, 6, 6, 8, 0)   # the last day it may be taken
    assert local(rows["fasting"]) == dt.datetime(2026, 6, 9, 18, 0)
    assert local(rows["glucose_check"]) == dt.datetime(2026, 6, 11, 8, 30)
    assert local(rows["medication_restart"]) == dt.datetime(2026, 6, 11, 10, 30)
    assert rows["medication_stop"].payload["drug"] == "apixaban"
    assert rows["glucose_check"].language == "en"


def test_no_week_before_when_booked_less_than_seven_days_ahead(db, make_appointment):
    """Booked five days ahead: no 'one week before' reminder."""
    appointment = make_appointment()
    with time_machine.travel(dt.datetime(2026, 6, 5, 10, 0, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    kinds = {r.kind for r in rows_of(db, appointment)}
    assert "week_before" not in kinds and "day_before" in kinds


def test_reminder_whose_time_passed_at_booking_is_not_planned(db, make_appointment):
    """Booked the day before at noon: the 09:00 'day before' reminder is not planned at all."""
    appointment = make_appointment()
    with time_machine.travel(dt.datetime(2026, 6, 9, 10, 0, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    kinds = {r.kind for r in rows_of(db, appointment)}
    assert "day_before" not in kinds and "confirmation" in kinds and "aftercare_evening" in kinds


def test_opted_out_patient_gets_only_essential_reminders(db, make_appointment, make_patient):
    """Non-essential kinds (marked in the data) are not planned for a patient who opted out."""
    patient = make_patient(non_essential_opt_out=True)
    appointment = make_appointment(patient=patient)
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    rows = rows_of(db, appointment)
    assert rows and all(r.essential for r in rows)
    assert {r.kind for r in rows} == {"confirmation", "day_before", "aftercare_evening"}
    assert not rules()["pain_score_day7"].essential


# 2026: EU summer time starts 29 March and ends 25 October; US starts 8 March and ends 1 November.
DST_CASES = [
    ("Europe/Paris", dt.date(2026, 3, 28), dt.datetime(2026, 3, 27, 8, 0)),   # day before in winter time
    ("Europe/Paris", dt.date(2026, 3, 30), dt.datetime(2026, 3, 29, 7, 0)),   # day before on the change day
    ("Europe/Paris", dt.date(2026, 3, 31), dt.datetime(2026, 3, 30, 7, 0)),
    ("Europe/Paris", dt.date(2026, 10, 25), dt.datetime(2026, 10, 24, 7, 0)),  # still summer time
    ("Europe/Paris", dt.date(2026, 10, 26), dt.datetime(2026, 10, 25, 8, 0)),  # change day, winter time
    ("America/Chicago", dt.date(2026, 3, 8), dt.datetime(2026, 3, 7, 15, 0)),  # CST
    ("America/Chicago", dt.date(2026, 3, 9), dt.datetime(2026, 3, 8, 14, 0)),  # change day, CDT
    ("America/Chicago", dt.date(2026, 11, 1), dt.datetime(2026, 10, 31, 14, 0)),  # CDT
    ("America/Chicago", dt.date(2026, 11, 2), dt.datetime(2026, 11, 1, 15, 0)),   # change day, CST
]


@pytest.mark.parametrize("tz, day, expected_utc", DST_CASES, ids=[f"{c[0]}-{c[1]}" for c in DST_CASES])
def test_day_before_lands_at_nine_local_across_dst(db, make_appointment, paris, minnesota, tz, day, expected_utc):
    """'The day before' is 09:00 on the site's clock on both sides of each country's DST change."""
    site = paris if tz == "Europe/Paris" else minnesota
    appointment = make_appointment(site=site, day=day, time=dt.time(10, 0))
    with time_machine.travel(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), tick=False):
        signals.appointment_booked.send(appointment)
    row = by_kind(rows_of(db, appointment))["day_before"]
    assert row.send_at == expected_utc.replace(tzinfo=dt.UTC)
    assert row.send_at.astimezone(site.tz).time() == dt.time(9, 0)


def test_quiet_hours_move_a_send_time_to_their_end():
    """21:00-08:00 quiet: 22:30 moves to 08:00 next morning, 06:00 to 08:00 the same day, 12:00 stays."""
    q = (dt.time(21), dt.time(8))
    late = dt.datetime(2026, 6, 10, 22, 30, tzinfo=PARIS)
    early = dt.datetime(2026, 6, 10, 6, 0, tzinfo=PARIS)
    noon = dt.datetime(2026, 6, 10, 12, 0, tzinfo=PARIS)
    assert out_of_quiet_hours(late, PARIS, *q).astimezone(PARIS) == dt.datetime(2026, 6, 11, 8, 0, tzinfo=PARIS)
    assert out_of_quiet_hours(early, PARIS, *q).astimezone(PARIS) == dt.datetime(2026, 6, 10, 8, 0, tzinfo=PARIS)
    assert out_of_quiet_hours(noon, PARIS, *q) == noon


def test_late_procedure_evening_care_waits_for_the_end_of_quiet_hours(db, make_appointment, make_site):
    """A site quiet from 20:00: the evening message of a 19:30 procedure goes at 08:00 the next day."""
    site = make_site(quiet_start=dt.time(20, 0), quiet_end=dt.time(8, 0))
    appointment = make_appointment(site=site, time=dt.time(19, 30))
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    rows = rows_of(db, appointment)
    assert local(by_kind(rows)["aftercare_evening"]) == dt.datetime(2026, 6, 11, 8, 0)
    for row in rows[1:]:
        assert not (row.send_at.astimezone(PARIS).time() >= dt.time(20) or
                    row.send_at.astimezone(PARIS).time() < dt.time(8)), row.kind


def test_reschedule_cancels_pending_rows_and_replans(db, make_appointment):
    """After a reschedule the old rows are cancelled (never sent), one 'moved' notice (not a second
    confirmation) remembers the old start, and the schedule is planned again."""
    appointment = make_appointment()
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    old_ids = {r.id for r in rows_of(db, appointment)}
    old_start = appointment.start_at
    appointment.start_at += dt.timedelta(days=7)
    appointment.end_at += dt.timedelta(days=7)
    appointment.block_end_at += dt.timedelta(days=7)
    with time_machine.travel(BOOKED_AT + dt.timedelta(days=1), tick=False):
        signals.appointment_rescheduled.send(appointment, old_start_at=old_start, old_end_at=None)
    rows = rows_of(db, appointment)
    assert all(r.status == ReminderStatus.CANCELLED for r in rows if r.id in old_ids)
    new = by_kind([r for r in rows if r.id not in old_ids])
    assert "confirmation" not in new and local(new["day_before"]) == dt.datetime(2026, 6, 16, 9, 0)
    assert new["rescheduled"].payload["previous_start"] == old_start.isoformat()


def test_cancellation_cancels_pending_and_plans_one_notice(db, make_appointment):
    """A cancellation: pending rows cancelled, exactly one cancellation notice due now."""
    appointment = make_appointment()
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    appointment.status = AppointmentStatus.CANCELLED
    when = BOOKED_AT + dt.timedelta(days=2)
    with time_machine.travel(when, tick=False):
        signals.appointment_cancelled.send(appointment, reason="patient request")
        signals.appointment_status_changed.send(appointment, old_status=AppointmentStatus.BOOKED,
                                                new_status=AppointmentStatus.CANCELLED)
        signals.appointment_cancelled.send(appointment, reason="again")
    rows = rows_of(db, appointment)
    notices = [r for r in rows if r.kind == "cancellation"]
    assert len(notices) == 1 and notices[0].status == ReminderStatus.PLANNED and notices[0].send_at == when
    assert all(r.status == ReminderStatus.CANCELLED for r in rows if r.kind != "cancellation")


def test_no_show_skips_after_care(db, make_appointment):
    """A no-show: the pending after-care rows become skipped, the preparation rows cancelled, and one
    re-arrange notice is planned (the confirmation, already due, is left to the never-late rule)."""
    appointment = make_appointment()
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    signals.appointment_status_changed.send(appointment, old_status=AppointmentStatus.BOOKED,
                                            new_status=AppointmentStatus.NO_SHOW)
    rows = rows_of(db, appointment)
    after = [r for r in rows if r.payload.get("phase") == "after"]
    assert after and all(r.status == ReminderStatus.SKIPPED for r in after)
    before = [r for r in rows if r.payload.get("phase") == "before"]
    assert before and all((r.status, r.last_error) == (ReminderStatus.CANCELLED, "no-show") for r in before)
    notices = {r.kind: r.status for r in rows if r.payload.get("phase") == "notice"}
    assert notices == {"confirmation": ReminderStatus.PLANNED, "rearrange": ReminderStatus.PLANNED}


def test_after_care_is_reanchored_on_the_actual_end(db, make_appointment, make_patient):
    """The procedure ends late (20:10): evening care moves out of quiet hours, restart follows the delay."""
    appointment = make_appointment(medication_holds=[HOLD], time=dt.time(17, 0))
    with time_machine.travel(BOOKED_AT, tick=False):
        signals.appointment_booked.send(appointment)
    ended = dt.datetime(2026, 6, 10, 20, 10, tzinfo=PARIS).astimezone(dt.UTC)
    delay = ended - appointment.end_at
    with time_machine.travel(ended, tick=False):
        signals.appointment_procedure_ended.send(appointment, ended_at=ended)
    rows = by_kind(rows_of(db, appointment))
    assert local(rows["aftercare_evening"]) == dt.datetime(2026, 6, 11, 8, 0)  # 21:10 is in quiet hours
    restart = dt.datetime.fromisoformat(HOLD["restart_after"]) + delay
    assert rows["medication_restart"].send_at == restart
    assert local(rows["day_before"]) == dt.datetime(2026, 6, 9, 9, 0)  # before-rows untouched


def test_booking_at_night_sends_the_confirmation_when_quiet_hours_end(db, make_appointment):
    """Booked at 23:30 Paris time: the confirmation waits until 08:00."""
    appointment = make_appointment()
    night = dt.datetime(2026, 5, 1, 23, 30, tzinfo=PARIS)
    with time_machine.travel(night, tick=False):
        signals.appointment_booked.send(appointment)
    confirmation = by_kind(rows_of(db, appointment))["confirmation"]
    assert local(confirmation) == dt.datetime(2026, 5, 2, 8, 0)
