"""The checklist service: order, roles, check-in, the monitoring clock, overrides, signing and
amendments, and what a completed case writes (appointment status, pain scores, injection record)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from clinic.audit.models import AuditEvent
from clinic.errors import DomainError
from clinic.outcomes.models import PainMoment, PainScore
from clinic.patients.models import InjectionRecord
from clinic.procedures import services
from clinic.procedures.models import ChecklistEntry, ChecklistState
from clinic.scheduling.models import AppointmentStatus
from clinic.scheduling.signals import appointment_procedure_ended

T0 = dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)   # 09:00 in Paris


def refused(code: str, status: int, call, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(*args, **kw)
    assert (info.value.code, info.value.status) == (code, status), info.value.message
    return info.value


def to_monitoring(appointment, nurse, physician, complete_phase, now=T0):
    for phase in ("sign_in", "time_out", "procedure"):
        complete_phase(appointment, phase, nurse, physician, now=now)


def test_first_access_creates_one_open_checklist(make_case):
    """The checklist is created on first access, once, in state open."""
    appointment = make_case()
    first = services.load_case(appointment)
    again = services.load_case(appointment)
    assert first.checklist.id == again.checklist.id
    assert first.checklist.state == ChecklistState.OPEN
    assert [p.code for p in first.template.phases] == ["sign_in", "time_out", "procedure", "monitoring", "discharge", "signature"]


def test_time_out_before_sign_in_is_out_of_order(make_case, physician):
    """A time-out item while sign-in items are open answers 409 out_of_order naming them."""
    appointment = make_case()
    err = refused("out_of_order", 409, services.record, appointment, "timeout_patient", True, physician, now=T0)
    assert "identity_confirmed" in err.details["open"]


def test_each_phase_needs_the_previous_one_complete(make_case, nurse, physician, complete_phase):
    """Procedure items wait for the time-out, monitoring for the procedure, discharge for monitoring."""
    appointment = make_case()
    complete_phase(appointment, "sign_in", nurse, physician, now=T0)
    refused("out_of_order", 409, services.record, appointment, "imaging_used", "fluoroscopy", physician, now=T0)
    complete_phase(appointment, "time_out", nurse, physician, now=T0)
    refused("out_of_order", 409, services.record, appointment, "vitals_after",
            {"systolic": 120, "diastolic": 80, "pulse": 70, "spo2": 98}, nurse, now=T0)
    complete_phase(appointment, "procedure", nurse, physician, now=T0)
    refused("out_of_order", 409, services.record, appointment, "vitals_stable", True, nurse,
            now=T0 + dt.timedelta(hours=1))


def test_a_required_yes_no_answered_no_keeps_the_phase_open(make_case, nurse, physician, complete_phase):
    """'No' on a required yes/no item is recorded but does not complete it."""
    appointment = make_case()
    complete_phase(appointment, "sign_in", nurse, physician, now=T0)
    _case, entry = services.record(appointment, "consent_signed", False, nurse, now=T0)
    assert entry.done is False
    refused("out_of_order", 409, services.record, appointment, "timeout_patient", True, physician, now=T0)


def test_same_phase_items_in_any_order(make_case, nurse):
    """Items of one phase may be recorded in any order."""
    appointment = make_case()
    services.record(appointment, "pain_before", 7, nurse, now=T0)
    case, _ = services.record(appointment, "identity_confirmed", True, nurse, now=T0)
    assert case.entries["pain_before"].value == 7 and case.entries["identity_confirmed"].value is True


@pytest.mark.parametrize("code, value", [
    ("identity_confirmed", True), ("vitals_before", {"systolic": 120, "diastolic": 80, "pulse": 70, "spo2": 98}),
    ("pain_before", 5),
])
def test_nurse_records_sign_in_items(make_case, nurse, code, value):
    """A nurse may record sign-in items and vital signs."""
    appointment = make_case()
    _case, entry = services.record(appointment, code, value, nurse, now=T0)
    assert entry.done and entry.recorded_by_id == nurse.id


@pytest.mark.parametrize("code", ["timeout_patient", "imaging_used", "steroid", "fluoroscopy_time_s", "signature"])
def test_nurse_cannot_record_physician_items(make_case, nurse, code):
    """Time-out, procedure record and signature are the physician's: 403 for a nurse, before any 409."""
    appointment = make_case()
    refused("forbidden", 403, services.record, appointment, code, True, nurse, now=T0)


def test_contrast_plan_is_the_physicians(make_case, nurse, physician):
    """The contrast plan for an allergy is a physician's decision even though it is a sign-in item."""
    appointment = make_case(allergies=["iodinated_contrast"])
    refused("forbidden", 403, services.record, appointment, "contrast_plan", "premedication", nurse, now=T0)
    services.record(appointment, "contrast_plan", "premedication", physician, now=T0)


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_front_desk_and_admin_record_nothing(make_case, make_user, paris, role):
    """Only nurses and physicians record checklist items."""
    appointment = make_case()
    user = make_user(role, sites=[paris] if role != "admin" else [])
    refused("forbidden", 403, services.record, appointment, "identity_confirmed", True, user, now=T0)


def test_physician_may_record_nurse_items(make_case, physician):
    """Sign-in and monitoring items are open to the physician too."""
    appointment = make_case()
    _, entry = services.record(appointment, "identity_confirmed", True, physician, now=T0)
    assert entry.done and entry.recorded_by_id == physician.id


def test_unknown_or_inapplicable_item_is_404(make_case, nurse):
    """An item that does not exist, or whose condition does not hold for this booking, is 404."""
    appointment = make_case()
    refused("not_found", 404, services.record, appointment, "no_such_item", True, nurse, now=T0)
    refused("not_found", 404, services.record, appointment, "inr", 1.0, nurse, now=T0)


@pytest.mark.parametrize("status", [AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_nothing_before_check_in(make_case, nurse, status):
    """Before check-in (or when the patient never came) every item answers 409 not_checked_in."""
    appointment = make_case(status=status)
    refused("not_checked_in", 409, services.record, appointment, "identity_confirmed", True, nurse, now=T0)


def test_conflict_wins_over_invalid_value(make_case, nurse):
    """A bad value on an item that is also out of turn answers 409 (the contract's order)."""
    appointment = make_case(status=AppointmentStatus.BOOKED)
    refused("not_checked_in", 409, services.record, appointment, "pain_before", 99, nurse, now=T0)


@pytest.mark.parametrize("code, value", [
    ("identity_confirmed", "yes"), ("identity_confirmed", 1), ("pain_before", 11), ("pain_before", -1),
    ("pain_before", 4.5), ("pain_before", True), ("vitals_before", {"systolic": 120}),
    ("vitals_before", {"systolic": 80, "diastolic": 120, "pulse": 70, "spo2": 98}),
    ("vitals_before", {"systolic": 120, "diastolic": 80, "pulse": 70, "spo2": 101}), ("vitals_before", [1, 2]),
    ("identity_confirmed", None),
])
def test_invalid_values_are_422(make_case, nurse, code, value):
    """Wrong types and out-of-range values answer 422 invalid_value and write nothing."""
    appointment = make_case()
    refused("invalid_value", 422, services.record, appointment, code, value, nurse, now=T0)
    case = services.load_case(appointment)
    assert code not in case.entries


def test_number_range_and_choice_are_checked(make_case, nurse, physician, complete_phase):
    """Numbers stay within min..max; choices are one of the item's codes."""
    appointment = make_case()
    complete_phase(appointment, "sign_in", nurse, physician, now=T0)
    complete_phase(appointment, "time_out", nurse, physician, now=T0)
    refused("invalid_value", 422, services.record, appointment, "contrast_volume_ml", 500, physician, now=T0)
    refused("invalid_value", 422, services.record, appointment, "imaging_used", "mri", physician, now=T0)
    services.record(appointment, "contrast_volume_ml", 2.5, physician, now=T0)


def test_state_machine_and_appointment_status(make_case, nurse, physician, complete_phase):
    """open -> in_procedure (appointment in_procedure) -> monitoring (end time, signal) -> discharged
    (appointment completed) -> signed."""
    appointment = make_case()
    ended = []

    def receiver(sender, ended_at):
        ended.append((sender.id, ended_at))

    appointment_procedure_ended.connect(receiver)
    try:
        complete_phase(appointment, "sign_in", nurse, physician, now=T0)
        complete_phase(appointment, "time_out", nurse, physician, now=T0)
        case, _ = services.record(appointment, "imaging_used", "fluoroscopy", physician, now=T0)
        assert case.checklist.state == ChecklistState.IN_PROCEDURE
        assert appointment.status == AppointmentStatus.IN_PROCEDURE
        end = T0 + dt.timedelta(minutes=12)
        case = complete_phase(appointment, "procedure", nurse, physician, now=end)
    finally:
        appointment_procedure_ended.disconnect(receiver)
    assert case.checklist.state == ChecklistState.MONITORING
    assert case.checklist.procedure_ended_at == end and appointment.actual_end_at == end
    assert ended == [(appointment.id, end)]
    complete_phase(appointment, "monitoring", nurse, physician, now=end)
    later = end + dt.timedelta(minutes=20)
    assert services.refresh(services.load_case(appointment), later).checklist.state == ChecklistState.READY_FOR_DISCHARGE
    case = complete_phase(appointment, "discharge", nurse, physician, now=later)
    assert case.checklist.state == ChecklistState.DISCHARGED and appointment.status == AppointmentStatus.COMPLETED
    case = complete_phase(appointment, "signature", nurse, physician, now=later)
    assert case.checklist.state == ChecklistState.SIGNED
    assert case.checklist.signed_by_id == physician.id


class TestMonitoringClock:
    """Discharge waits for the minimum observation time since the procedure ended."""

    def _ready(self, make_case, nurse, physician, complete_phase, **kw):
        appointment = make_case(**kw)
        with time_machine.travel(T0, tick=False):
            to_monitoring(appointment, nurse, physician, complete_phase, now=None)
            complete_phase(appointment, "monitoring", nurse, physician)
        return appointment

    def test_refused_at_minute_14_allowed_at_15(self, make_case, nurse, physician, complete_phase):
        """With a frozen clock: refused 14 minutes after the end (1 min left), allowed at 15."""
        appointment = self._ready(make_case, nurse, physician, complete_phase)
        with time_machine.travel(T0 + dt.timedelta(minutes=14), tick=False):
            err = refused("monitoring_time", 409, services.record, appointment, "vitals_stable", True, nurse)
            assert err.details["minutes_left"] == 1
        with time_machine.travel(T0 + dt.timedelta(minutes=15), tick=False):
            _case, entry = services.record(appointment, "vitals_stable", True, nurse)
            assert entry.done and entry.override_reason is None

    def test_sedation_doubles_the_wait(self, make_case, nurse, physician, complete_phase):
        """After sedation the minimum is the catalog's longer time (30 min)."""
        appointment = self._ready(make_case, nurse, physician, complete_phase, sedation=True)
        with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
            err = refused("monitoring_time", 409, services.record, appointment, "vitals_stable", True, nurse)
            assert err.details["minutes_left"] == 10
        with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
            services.record(appointment, "vitals_stable", True, nurse)

    def test_physician_override_passes_and_is_recorded(self, make_case, nurse, physician, complete_phase):
        """A physician's override reason passes the clock; it is stored on the entry and audited."""
        appointment = self._ready(make_case, nurse, physician, complete_phase)
        with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
            _case, entry = services.record(appointment, "vitals_stable", True, physician,
                                           override_reason="Patient well, transport waiting")
        assert entry.override_reason == "Patient well, transport waiting"
        events = [e.action for e in _events(appointment)]
        assert "checklist.override" in events

    def test_nurse_override_does_not_pass(self, make_case, nurse, physician, complete_phase):
        """Only a physician may override the clock."""
        appointment = self._ready(make_case, nurse, physician, complete_phase)
        with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
            refused("monitoring_time", 409, services.record, appointment, "vitals_stable", True, nurse,
                    override_reason="please")

    def test_monitoring_items_are_not_on_the_clock(self, make_case, nurse, physician, complete_phase):
        """Vital signs during monitoring are recorded at once; only discharge waits."""
        appointment = make_case()
        to_monitoring(appointment, nurse, physician, complete_phase)
        _, entry = services.record(appointment, "vitals_recheck", {"systolic": 120, "diastolic": 80, "pulse": 70,
                                                                   "spo2": 98}, nurse, now=T0 + dt.timedelta(minutes=1))
        assert entry.done and entry.value["systolic"] == 120


def _events(appointment):
    from clinic.extensions import db

    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.patient_id == appointment.patient_id)).all()


def _signed(make_case, nurse, physician, complete_phase, **kw):
    appointment = make_case(**kw)
    to_monitoring(appointment, nurse, physician, complete_phase)
    later = T0 + dt.timedelta(minutes=40)
    for phase in ("monitoring", "discharge", "signature"):
        complete_phase(appointment, phase, nurse, physician, now=later)
    return appointment


class TestSignedRecord:
    def test_signed_record_refuses_plain_changes(self, make_case, nurse, physician, complete_phase):
        """After signing, recording again answers 409 signed and the stored value is unchanged."""
        appointment = _signed(make_case, nurse, physician, complete_phase)
        refused("signed", 409, services.record, appointment, "pain_after", 1, nurse, now=T0 + dt.timedelta(hours=2))
        refused("signed", 409, services.record, appointment, "signature", True, physician,
                now=T0 + dt.timedelta(hours=2), amendment_reason="again")
        assert services.load_case(appointment).entries["pain_after"].value == 2

    def test_amendment_is_a_new_audited_row(self, make_case, nurse, physician, complete_phase):
        """An amendment adds a row with its reason, supersedes the old one, and is audited."""
        appointment = _signed(make_case, nurse, physician, complete_phase)
        old = services.load_case(appointment).entries["steroid_dose_mg"]
        _case, entry = services.record(appointment, "steroid_dose_mg", 4, physician, now=T0 + dt.timedelta(hours=3),
                                       amendment_reason="Dose typed wrong: 4 mg given")
        assert entry.id != old.id and entry.is_amendment and entry.amendment_reason.startswith("Dose typed")
        assert old.superseded_by_id == entry.id and old.value == 8
        assert services.load_case(appointment).checklist.state == ChecklistState.SIGNED
        amend = [e for e in _events(appointment) if e.action == "checklist.amend"]
        assert amend and amend[0].details["old_value"] == 8
        record = _injection(appointment)
        assert record.dose_mg == 4 and record.triamcinolone_eq_mg == pytest.approx(21.32)

    def test_amendment_still_follows_roles(self, make_case, nurse, physician, complete_phase):
        """A nurse cannot amend the physician's procedure record."""
        appointment = _signed(make_case, nurse, physician, complete_phase)
        refused("forbidden", 403, services.record, appointment, "steroid_dose_mg", 4, nurse,
                now=T0 + dt.timedelta(hours=3), amendment_reason="x")


def _injection(appointment):
    from clinic.extensions import db

    return db.session.execute(
        sa.select(InjectionRecord).where(InjectionRecord.appointment_id == appointment.id)
    ).scalar_one()


def test_completed_steroid_injection_feeds_the_history(make_case, nurse, physician, complete_phase, db):
    """Discharge writes the InjectionRecord (steroid, dose, triamcinolone equivalent) that the next
    booking's steroid count reads from the patient's injections."""
    appointment = _signed(make_case, nurse, physician, complete_phase, procedure="esi-transforaminal")
    record = _injection(appointment)
    assert (record.steroid, record.dose_mg) == ("dexamethasone", 8.0)
    assert record.triamcinolone_eq_mg == pytest.approx(42.64)
    assert record.performed_on == dt.date(2026, 3, 30) and record.region == "lumbar"
    db.session.expire_all()
    patient = appointment.patient
    assert [r.appointment_id for r in patient.injections] == [appointment.id]
    assert sum(r.triamcinolone_eq_mg for r in patient.injections) == pytest.approx(42.64)


def test_non_steroid_procedure_records_no_steroid(make_case, nurse, physician, complete_phase):
    """A medial branch block completes with an injection record without steroid."""
    appointment = _signed(make_case, nurse, physician, complete_phase, procedure="medial-branch-block")
    record = _injection(appointment)
    assert record.steroid is None and record.triamcinolone_eq_mg is None


def test_particulate_steroid_refused_for_transforaminal(make_case, nurse, physician, complete_phase):
    """A particulate steroid in a transforaminal injection needs a physician's override reason."""
    appointment = make_case(procedure="esi-transforaminal")
    complete_phase(appointment, "sign_in", nurse, physician, now=T0)
    complete_phase(appointment, "time_out", nurse, physician, now=T0)
    err = refused("invalid_value", 422, services.record, appointment, "steroid", "triamcinolone", physician, now=T0)
    assert err.details["value"] == "particulate_steroid"
    _case, entry = services.record(appointment, "steroid", "triamcinolone", physician, now=T0,
                                   override_reason="Allergy to dexamethasone")
    assert entry.override_reason == "Allergy to dexamethasone"


def test_pain_scores_before_and_after(make_case, nurse, physician, complete_phase, db):
    """Pain at sign-in and at discharge become the patient's before/after pain scores."""
    appointment = _signed(make_case, nurse, physician, complete_phase)
    rows = db.session.scalars(sa.select(PainScore).where(PainScore.appointment_id == appointment.id)).all()
    assert {(r.moment, r.score) for r in rows} == {(PainMoment.BEFORE, 6), (PainMoment.AFTER, 2)}


def test_correction_before_signing_supersedes(make_case, nurse, db):
    """Recording an item again before signing keeps the earlier row, superseded, not an amendment."""
    appointment = make_case()
    services.record(appointment, "pain_before", 8, nurse, now=T0)
    _case, second = services.record(appointment, "pain_before", 7, nurse, now=T0)
    rows = db.session.scalars(sa.select(ChecklistEntry).where(ChecklistEntry.item_code == "pain_before",
                                                              ChecklistEntry.checklist_id == second.checklist_id)).all()
    assert len(rows) == 2 and rows[0].superseded_by_id == second.id and not second.is_amendment
    score = db.session.scalars(sa.select(PainScore).where(PainScore.appointment_id == appointment.id)).one()
    assert score.score == 7


def test_every_write_is_audited(make_case, nurse):
    """Creating the checklist and recording an item leave audit events with the patient's id."""
    appointment = make_case()
    services.record(appointment, "identity_confirmed", True, nurse, now=T0)
    actions = [e.action for e in _events(appointment)]
    assert "checklist.create" in actions and "checklist.record" in actions
