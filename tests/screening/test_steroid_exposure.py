"""Steroid exposure: sessions per region and triamcinolone-equivalent dose over rolling 12 months,
from past injection records and other booked appointments."""

from __future__ import annotations

import datetime as dt

from clinic.patients.models import InjectionRecord
from clinic.screening.exposure import Exposure, worst_window
from clinic.screening.services import evaluate
from tests import factories

EPIDURAL = "esi-interlaminar"   # a steroid procedure, lumbar unless told


def _record(db, patient, day, region="lumbar", steroid="triamcinolone", dose=40.0, **kw):
    record = InjectionRecord(patient_id=patient.id, performed_on=day, procedure_code=kw.pop("procedure", "esi-interlaminar"),
                             region=region, steroid=steroid, dose_mg=dose, **kw)
    db.session.add(record)
    db.session.flush()
    return record


def _exposure(result):
    return next((f for f in result.warnings if f.code == "steroid_exposure"), None)


def test_past_record_and_booked_future_appointment_count(db, make_patient, paris, make_ctx, make_appointment):
    """Two past records, a booked appointment after the new one and the new one: 4 is the limit, 5 warns."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    _record(db, patient, dt.date(2026, 1, 10), dose=10)
    _record(db, patient, dt.date(2026, 3, 2), dose=10)
    make_appointment(paris, dt.date(2026, 9, 1), patient=patient, procedure_code=EPIDURAL)   # 10 + 10 + 80 + 80 = 180 mg
    ctx = make_ctx(patient, paris, start=(2026, 6, 15, 9, 0))
    assert _exposure(evaluate(ctx)) is None                       # 4 sessions: at the limit
    make_appointment(paris, dt.date(2026, 11, 2), patient=patient, procedure_code=EPIDURAL)
    assert _exposure(evaluate(ctx)) is None                       # the context holds the history it was given
    finding = _exposure(evaluate(make_ctx(patient, paris, start=(2026, 6, 15, 9, 0))))
    assert finding is not None and finding.details["sessions"] == 5 and finding.details["region"] == "lumbar"
    assert "CMS" in finding.source or "L33906" in finding.source


def test_cancelled_other_region_and_excluded_appointments_do_not_count(db, make_patient, paris, make_ctx,
                                                                      make_appointment):
    """Cancelled appointments, other regions and the appointment being rescheduled are left out."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    for month in (1, 2, 3):
        _record(db, patient, dt.date(2026, month, 5), dose=5)
    make_appointment(paris, dt.date(2026, 7, 1), patient=patient, procedure_code=EPIDURAL, status="cancelled")
    make_appointment(paris, dt.date(2026, 7, 2), patient=patient, region="cervical", procedure_code="facet-joint")
    moving = make_appointment(paris, dt.date(2026, 7, 3), patient=patient, procedure_code=EPIDURAL)
    ctx = make_ctx(patient, paris, start=(2026, 6, 15, 9, 0), exclude_appointment_id=moving.id)
    assert _exposure(evaluate(ctx)) is None
    ctx.exclude_appointment_id = None
    assert _exposure(evaluate(ctx)).details["sessions"] == 5


def test_cumulative_dose_over_200_mg_warns(db, make_patient, minnesota, make_ctx):
    """One earlier 160 mg methylprednisolone injection (any region) plus the usual 80 mg: over 200 mg."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    _record(db, patient, dt.date(2026, 2, 1), region="cervical", steroid="Methylprednisolone acetate", dose=160)
    finding = _exposure(evaluate(make_ctx(patient, minnesota, start=(2026, 6, 15, 9, 0))))
    assert finding.details["triamcinolone_eq_mg"] == 240 and finding.details["sessions"] == 1


def test_record_dose_is_converted_to_triamcinolone_equivalent(db, make_patient, paris, make_ctx):
    """Dexamethasone 24 mg is about 128 mg triamcinolone-equivalent; with 80 mg usual: past 200 mg."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    _record(db, patient, dt.date(2026, 5, 1), steroid="dexamethasone", dose=24)
    finding = _exposure(evaluate(make_ctx(patient, paris)))
    assert finding is not None and 207 < finding.details["triamcinolone_eq_mg"] < 209


def test_records_older_than_the_window_do_not_count(db, make_patient, paris, make_ctx):
    """Injections more than 12 months before do not count."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    for month in (1, 2, 3, 4, 5):
        _record(db, patient, dt.date(2025, month, 5), dose=10)
    assert _exposure(evaluate(make_ctx(patient, paris, start=(2026, 6, 15, 9, 0)))) is None


def test_rolling_window_is_the_worst_window_containing_the_day():
    """Sessions far apart on both sides never share one 365-day window."""
    day = dt.date(2026, 6, 15)
    events = [Exposure(dt.date(2025, 7, 1), "lumbar", 1), Exposure(dt.date(2025, 8, 1), "lumbar", 1),
              Exposure(day, "lumbar", 1), Exposure(dt.date(2027, 5, 1), "lumbar", 1)]
    assert worst_window(events, day, 365)[0] == 3
    assert worst_window(events[1:], day, 365)[0] == 2


def test_no_steroid_procedure_is_not_counted(db, make_patient, paris, make_ctx):
    """A medial branch block carries no steroid: no exposure warning even past the limits."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    for month in (1, 2, 3, 4, 5):
        _record(db, patient, dt.date(2026, month, 5))
    assert _exposure(evaluate(make_ctx(patient, paris, procedure="medial-branch-block"))) is None
    assert _exposure(evaluate(make_ctx(patient, paris))) is not None


def test_a_pending_new_booking_does_not_count_itself(db, make_patient, paris, make_ctx, make_appointment):
    """An appointment added to the session but not flushed (the booking being screened) is not counted."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    for month in (1, 2, 3):
        _record(db, patient, dt.date(2026, month, 5), dose=5)
    # another patient's, for the ids
    other = make_appointment(paris, dt.date(2026, 6, 1), dt.time(9, 0), make_patient(), procedure_code=EPIDURAL)
    db.session.add(factories.build_appointment(paris, patient, day=dt.date(2026, 6, 15), time=dt.time(9, 0),
                                               room=other.room, physician=other.physician,
                                               procedure_code=EPIDURAL))   # pending: not flushed
    assert _exposure(evaluate(make_ctx(patient, paris, start=(2026, 6, 15, 9, 0)))) is None


def test_four_medial_branch_blocks_and_an_ablation_add_nothing(db, make_patient, paris, make_ctx,
                                                               make_appointment):
    """Steroid-free procedures (recorded or booked) do not raise steroid_exposure on the next epidural."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    for month in (1, 2):
        _record(db, patient, dt.date(2026, month, 5), procedure="medial-branch-block", steroid=None, dose=None,
                appointment_id=make_appointment(paris, dt.date(2026, month, 5), dt.time(9, 0), patient,
                                                procedure_code="medial-branch-block", status="completed").id)
    make_appointment(paris, dt.date(2026, 3, 2), dt.time(9, 0), patient, procedure_code="medial-branch-block",
                     status="completed")
    make_appointment(paris, dt.date(2026, 4, 6), dt.time(9, 0), patient, procedure_code="medial-branch-block")
    make_appointment(paris, dt.date(2026, 5, 4), dt.time(9, 0), patient, procedure_code="rfa")
    _record(db, patient, dt.date(2026, 5, 11), procedure="facet-joint", steroid=None, dose=None,
            appointment_id=make_appointment(paris, dt.date(2026, 5, 11), dt.time(9, 0), patient,
                                            procedure_code="facet-joint", status="completed").id)   # recorded "no steroid"
    assert _exposure(evaluate(make_ctx(patient, paris, start=(2026, 6, 15, 9, 0)))) is None


def test_three_caudal_and_two_lumbar_epidurals_warn_on_the_fifth(db, make_patient, minnesota, make_ctx):
    """Medicare counts lumbar with sacral: three caudal epidurals, a lumbar one, and the new lumbar one is five."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    for month in (1, 2, 3):
        _record(db, patient, dt.date(2026, month, 5), region=None, procedure="esi-caudal", dose=10)
    _record(db, patient, dt.date(2026, 2, 20), region="cervical", dose=10)     # another region group
    ctx = make_ctx(patient, minnesota, start=(2026, 5, 18, 9, 0))
    assert _exposure(evaluate(ctx)) is None                                    # the fourth: at the limit
    _record(db, patient, dt.date(2026, 4, 5), dose=10)
    finding = _exposure(evaluate(make_ctx(patient, minnesota, start=(2026, 5, 18, 9, 0))))
    assert finding.details["sessions"] == 5 and finding.details["region_group"] == "lumbar_sacral"
    assert "lumbar and sacral" in finding.message


def test_a_premedication_steroid_adds_its_dose_but_no_session(db, make_patient, paris, make_ctx, make_appointment):
    """Prednisone 4 x 50 mg for a contrast allergy is 160 mg triamcinolone-equivalent: with the usual
    80 mg of the new epidural, past 200 mg; it is no injection session."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    appointment = make_appointment(paris, dt.date(2026, 3, 2), dt.time(9, 0), patient,
                                   procedure_code="medial-branch-block", status="completed")
    _record(db, patient, dt.date(2026, 3, 2), procedure="medial-branch-block", steroid=None, dose=None,
            appointment_id=appointment.id, premedication_steroid="prednisone", premedication_eq_mg=160.0)
    finding = _exposure(evaluate(make_ctx(patient, paris, start=(2026, 6, 15, 9, 0))))
    assert finding.details["triamcinolone_eq_mg"] == 240 and finding.details["sessions"] == 1
