"""Blood-thinner holds: every drug row of docs/clinical-rules.md (blood thinners) against each risk class, on
a Monday, the day after a public holiday, across daylight-saving changes in Paris and Minnesota."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic.catalog import get_procedure
from clinic.patients.models import Patient, PatientMedication
from clinic.screening.holds import bleeding_risk, medication_holds
from clinic.screening.results import BookingContext
from clinic.sites.models import Site

# The reference table, written out by hand (not read from the catalog): per (drug, indication),
# per risk class ("high", "intermediate", "low"): ("d", days) stop in days, ("h", hours) stop in
# hours, "continue" or "shared"; then the restart hours per class. Ranges use their longer end.
TABLE = {
    ("aspirin", "primary prevention"): ({"high": ("d", 6), "intermediate": "shared", "low": "continue"}, (24, 24, 24)),
    ("aspirin", "secondary prevention"): ({"high": "shared", "intermediate": "shared", "low": "continue"}, (24, 24, 24)),
    ("ibuprofen", None): ({"high": ("d", 1), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("diclofenac", None): ({"high": ("d", 1), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("ketorolac", None): ({"high": ("d", 1), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("etodolac", None): ({"high": ("d", 2), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("indomethacin", None): ({"high": ("d", 2), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("naproxen", None): ({"high": ("d", 4), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("meloxicam", None): ({"high": ("d", 4), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("nabumetone", None): ({"high": ("d", 6), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("oxaprozin", None): ({"high": ("d", 10), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("piroxicam", None): ({"high": ("d", 10), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("cilostazol", None): ({"high": ("d", 2), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("dipyridamole", None): ({"high": ("d", 2), "intermediate": "continue", "low": "continue"}, (24, 24, 24)),
    ("warfarin", None): ({"high": ("d", 5), "intermediate": ("d", 5), "low": "shared"}, (6, 6, 6)),
    ("acenocoumarol", None): ({"high": ("d", 3), "intermediate": ("d", 3), "low": "shared"}, (24, 24, 24)),
    ("heparin", "IV"): ({"high": ("h", 6), "intermediate": ("h", 6), "low": ("h", 6)}, (2, 2, 2)),
    ("heparin", "subcutaneous"): ({"high": ("h", 24), "intermediate": ("h", 6), "low": ("h", 6)}, (6, 2, 2)),
    ("enoxaparin", "prophylactic"): ({"high": ("h", 12), "intermediate": ("h", 12), "low": ("h", 12)}, (24, 24, 4)),
    ("enoxaparin", "therapeutic"): ({"high": ("h", 24), "intermediate": ("h", 24), "low": ("h", 24)}, (24, 24, 4)),
    ("dalteparin", None): ({"high": ("h", 24), "intermediate": ("h", 24), "low": ("h", 24)}, (24, 24, 4)),
    ("clopidogrel", None): ({"high": ("d", 7), "intermediate": ("d", 7), "low": "shared"}, (24, 24, 24)),
    ("prasugrel", None): ({"high": ("d", 10), "intermediate": ("d", 10), "low": "shared"}, (24, 24, 24)),
    ("ticagrelor", None): ({"high": ("d", 5), "intermediate": ("d", 5), "low": "shared"}, (24, 24, 24)),
    ("dabigatran", None): ({"high": ("d", 5), "intermediate": ("d", 5), "low": "shared"}, (24, 24, 24)),
    ("rivaroxaban", None): ({"high": ("d", 3), "intermediate": ("d", 3), "low": "shared"}, (24, 24, 24)),
    ("edoxaban", None): ({"high": ("d", 3), "intermediate": ("d", 3), "low": "shared"}, (24, 24, 24)),
    ("apixaban", None): ({"high": ("d", 5), "intermediate": ("d", 5), "low": "shared"}, (24, 24, 24)),
    ("fondaparinux", None): ({"high": ("d", 4), "intermediate": ("d", 4), "low": "shared"}, (24, 24, 24)),
}
RISKS = ("high", "intermediate", "low")

# Procedure days: (label, zone, local start, local end).
PARIS, CHICAGO = ZoneInfo("Europe/Paris"), ZoneInfo("America/Chicago")
DAYS = {
    "paris-monday": (PARIS, dt.datetime(2026, 6, 15, 9, 0), dt.datetime(2026, 6, 15, 9, 30)),
    "paris-after-easter-monday": (PARIS, dt.datetime(2026, 4, 7, 10, 0), dt.datetime(2026, 4, 7, 10, 30)),
    "paris-after-dst": (PARIS, dt.datetime(2026, 3, 30, 9, 0), dt.datetime(2026, 3, 30, 9, 30)),
    "mn-after-memorial-day": (CHICAGO, dt.datetime(2026, 5, 26, 8, 0), dt.datetime(2026, 5, 26, 8, 30)),
    "mn-after-dst-start": (CHICAGO, dt.datetime(2026, 3, 9, 8, 0), dt.datetime(2026, 3, 9, 8, 30)),
    "mn-after-dst-end": (CHICAGO, dt.datetime(2026, 11, 2, 16, 30), dt.datetime(2026, 11, 2, 17, 0)),
}
# A procedure risk class from the catalog: (procedure, region, patient conditions).
RISK_SETUPS = {
    "low": ("facet-joint", "lumbar", []),
    "intermediate": ("esi-interlaminar", "lumbar", []),
    "high": ("esi-interlaminar", "lumbar", ["liver_disease"]),   # raised one class by a patient factor
}


def _ctx(day: str, risk: str, drug: str, indication: str | None, conditions=()) -> BookingContext:
    tz, start, end = DAYS[day]
    code, region, factors = RISK_SETUPS[risk]
    site = Site(code="s", name="S", timezone=str(tz), country="FR" if tz is PARIS else "US",
                policy="fr" if tz is PARIS else "us")
    patient = Patient(first_name="A", last_name="B", birth_date=dt.date(1970, 1, 1), email="a@b.example",
                      language="en", conditions=[*factors, *conditions], allergies=[],
                      medications=[PatientMedication(drug=drug, indication=indication)])
    return BookingContext(patient=patient, procedure=get_procedure(code), site=site,
                          start_at=start.replace(tzinfo=tz).astimezone(dt.UTC),
                          end_at=end.replace(tzinfo=tz).astimezone(dt.UTC), region=region, history=())


CASES = [(day, risk, drug, ind) for day in DAYS for risk in RISKS for (drug, ind) in TABLE]


@pytest.mark.parametrize("day,risk,drug,indication", CASES)
def test_every_drug_row_against_each_risk_class(day, risk, drug, indication):
    """Each reference row gives its action, stop date (local) or instant, and restart instant."""
    ctx = _ctx(day, risk, drug, indication)
    assert bleeding_risk(ctx) == risk
    holds, findings = medication_holds(ctx, risk)
    assert len(holds) == 1
    hold = holds[0]
    expected, restarts = TABLE[(drug, indication)]
    rule = expected[risk]
    tz, start, end = DAYS[day]
    restart = (end.replace(tzinfo=tz) + dt.timedelta(hours=restarts[RISKS.index(risk)])).astimezone(tz)
    codes = [f.code for f in findings]
    if rule == "continue":
        assert (hold.action, hold.stop_on, hold.restart_after, codes) == ("continue", None, None, [])
        return
    if rule == "shared":   # nothing was stopped: no restart instant, no "take it again" message
        assert (hold.action, hold.stop_on, hold.restart_after, codes) == ("shared_decision", None, None,
                                                                          ["shared_decision"])
        return
    assert hold.restart_after == restart.isoformat()
    kind, amount = rule
    assert hold.action == "stop" and codes[0] == "anticoagulant_hold"
    if kind == "d":
        assert hold.stop_on == (start.date() - dt.timedelta(days=amount)).isoformat()
    else:
        assert hold.stop_on == (start.replace(tzinfo=tz) - dt.timedelta(hours=amount)).astimezone(tz).isoformat()
    assert ("inr_check" in codes) == (drug in ("warfarin", "acenocoumarol"))


EXACT = [
    # day, risk, drug, indication, stop_on, restart_after
    ("paris-monday", "intermediate", "warfarin", None, "2026-06-10", "2026-06-15T15:30:00+02:00"),
    ("paris-monday", "high", "clopidogrel", None, "2026-06-08", "2026-06-16T09:30:00+02:00"),
    ("paris-after-easter-monday", "intermediate", "apixaban", None, "2026-04-02", "2026-04-08T10:30:00+02:00"),
    ("paris-after-easter-monday", "high", "oxaprozin", None, "2026-03-28", "2026-04-08T10:30:00+02:00"),
    ("paris-after-dst", "intermediate", "rivaroxaban", None, "2026-03-27", "2026-03-31T09:30:00+02:00"),
    ("paris-after-dst", "high", "heparin", "subcutaneous", "2026-03-29T09:00:00+02:00", "2026-03-30T15:30:00+02:00"),
    ("paris-after-dst", "low", "enoxaparin", "therapeutic", "2026-03-29T09:00:00+02:00", "2026-03-30T13:30:00+02:00"),
    ("mn-after-memorial-day", "intermediate", "clopidogrel", None, "2026-05-19", "2026-05-27T08:30:00-05:00"),
    ("mn-after-memorial-day", "low", "enoxaparin", "prophylactic", "2026-05-25T20:00:00-05:00", "2026-05-26T12:30:00-05:00"),
    ("mn-after-dst-start", "intermediate", "warfarin", None, "2026-03-04", "2026-03-09T14:30:00-05:00"),
    ("mn-after-dst-start", "high", "heparin", "IV", "2026-03-09T02:00:00-05:00", "2026-03-09T10:30:00-05:00"),
    ("mn-after-dst-start", "intermediate", "dalteparin", None, "2026-03-08T08:00:00-05:00", "2026-03-10T08:30:00-05:00"),
    ("mn-after-dst-end", "intermediate", "acenocoumarol", None, "2026-10-30", "2026-11-03T17:00:00-06:00"),
    ("mn-after-dst-end", "intermediate", "enoxaparin", "therapeutic", "2026-11-01T16:30:00-06:00", "2026-11-03T17:00:00-06:00"),
]


@pytest.mark.parametrize("day,risk,drug,indication,stop_on,restart_after", EXACT)
def test_exact_dates_and_instants(day, risk, drug, indication, stop_on, restart_after):
    """Literal stop dates and instants: calendar days locally, hours as elapsed time with the local offset."""
    holds, _ = medication_holds(_ctx(day, risk, drug, indication), risk)
    assert (holds[0].stop_on, holds[0].restart_after) == (stop_on, restart_after)


def test_evening_procedure_in_minnesota_uses_the_local_date():
    """A procedure at 19:00 in Chicago (already the next day in UTC) counts days from the local date."""
    tz = CHICAGO
    ctx = _ctx("mn-after-memorial-day", "intermediate", "warfarin", None)
    ctx.start_at = dt.datetime(2026, 5, 26, 19, 0, tzinfo=tz).astimezone(dt.UTC)
    ctx.end_at = ctx.start_at + dt.timedelta(minutes=30)
    assert ctx.start_at.date() == dt.date(2026, 5, 27)
    holds, _ = medication_holds(ctx, "intermediate")
    assert holds[0].stop_on == "2026-05-21"


def test_dabigatran_hold_is_longer_with_kidney_disease():
    """Dabigatran: 6 days instead of 5 when the patient has kidney disease (unconfirmed row)."""
    ctx = _ctx("paris-monday", "intermediate", "dabigatran", None, conditions=["kidney_disease"])
    risk = bleeding_risk(ctx)
    assert risk == "high"          # kidney disease is also a patient factor
    holds, findings = medication_holds(ctx, risk)
    assert holds[0].stop_on == "2026-06-09" and holds[0].unconfirmed
    assert findings[0].unconfirmed


def test_aspirin_without_indication_is_a_shared_decision():
    """Aspirin with no recorded indication takes the secondary-prevention row (never stopped alone)."""
    holds, findings = medication_holds(_ctx("paris-monday", "high", "aspirin", None), "high")
    assert holds[0].action == "shared_decision" and [f.code for f in findings] == ["shared_decision"]


@pytest.mark.parametrize("conditions,birth,expected", [
    ([], dt.date(1980, 1, 1), "low"),
    (["bleeding_disorder"], dt.date(1980, 1, 1), "intermediate"),
    (["kidney_disease"], dt.date(1980, 1, 1), "intermediate"),
    (["liver_disease"], dt.date(1980, 1, 1), "intermediate"),
    (["prior_surgery_at_site"], dt.date(1980, 1, 1), "intermediate"),
    ([], dt.date(1950, 1, 1), "intermediate"),
])
def test_patient_factors_raise_the_class_by_one(conditions, birth, expected):
    """Age (catalog threshold), bleeding disorder, kidney or liver disease, earlier surgery: one class up."""
    ctx = _ctx("paris-monday", "low", "warfarin", None, conditions=conditions)
    ctx.patient.birth_date = birth
    assert bleeding_risk(ctx) == expected


def test_cervical_facet_is_intermediate_and_high_stays_high():
    """The cervical class of the catalog applies; a factor never goes past high."""
    ctx = _ctx("paris-monday", "low", "warfarin", None)
    ctx.region = "cervical"
    assert bleeding_risk(ctx) == "intermediate"
    ctx = _ctx("paris-monday", "high", "warfarin", None, conditions=["kidney_disease"])
    assert bleeding_risk(ctx) == "high"
