"""The screening engine: each warning and refusal code, the override path, and the preparation."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.screening.results import REFUSAL_CODES, WARNING_CODES
from clinic.screening.services import evaluate


def codes(result):
    return [f.code for f in result.warnings]


def test_a_plain_booking_has_no_warning(make_patient, paris, make_ctx):
    """A healthy patient, lumbar interlaminar injection, all answers fine: nothing to warn about."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1), sex="male")   # no pregnancy check
    result = evaluate(make_ctx(patient, paris, answers={"recent_imaging": True, "conservative_care_weeks": 8}))
    assert codes(result) == [] and not result.refused and result.holds == []


@pytest.mark.parametrize("code,answers,conditions", [
    ("active_infection", {"active_infection": True}, []),
    ("fever", {"fever": "yes"}, []),
    ("bleeding_disorder", {}, ["bleeding_disorder"]),
])
def test_each_refusal_without_override(make_patient, paris, make_ctx, code, answers, conditions):
    """Infection, fever and a bleeding disorder refuse the booking with their code."""
    result = evaluate(make_ctx(make_patient(conditions=conditions), paris, answers=answers))
    assert result.refused and [f.code for f in result.refusals] == [code]
    assert code in REFUSAL_CODES


def test_override_lifts_refusals_and_keeps_them_visible(make_patient, paris, make_ctx):
    """With a physician's reason the booking goes ahead; the refusals stay listed as warnings."""
    ctx = make_ctx(make_patient(conditions=["bleeding_disorder"]), paris, answers={"fever": True},
                   override_reason="Treated; afebrile since yesterday")
    result = evaluate(ctx)
    assert not result.refused
    assert {f.code for f in result.overridden} == {"fever", "bleeding_disorder"}
    assert {"fever", "bleeding_disorder"} <= set(codes(result))


def test_anticoagulant_hold_inr_and_shared_decision(make_patient, paris, make_ctx):
    """Warfarin: hold and INR check with the site's threshold; aspirin at intermediate risk: shared decision."""
    patient = make_patient(medications=["warfarin", "aspirin"], birth_date=dt.date(1980, 1, 1), sex="male")
    result = evaluate(make_ctx(patient, paris))
    assert codes(result) == ["anticoagulant_hold", "inr_check", "shared_decision"]
    hold = next(h for h in result.holds if h.drug == "warfarin")
    assert hold.as_json()["stop_on"] == "2026-06-10"
    inr = next(f for f in result.warnings if f.code == "inr_check")
    assert "1.3" in inr.message and inr.unconfirmed and inr.message_fr


@pytest.mark.parametrize("code,kw,patient_kw", [
    ("particulate_steroid", {"procedure": "esi-transforaminal"}, {}),
    ("contrast_allergy", {}, {"allergies": ["iodinated_contrast"]}),
    ("pregnancy_check", {"answers": {"possible_pregnancy": True}}, {}),
    ("diabetes_glucose", {}, {"conditions": ["diabetes"]}),
    ("sedation_fasting", {"sedation": True}, {}),
    ("sedation_escort", {"sedation": True}, {}),
    ("conservative_care", {"answers": {"conservative_care_weeks": 3}}, {}),
    ("imaging_missing", {"answers": {"recent_imaging": False}}, {}),
    ("caution_condition", {}, {"conditions": ["glaucoma"]}),
    ("site_policy", {"region": "cervical"}, {}),
])
def test_each_warning_code(make_patient, paris, make_ctx, code, kw, patient_kw):
    """Each warning of the contract appears for its cause, with a source and both languages."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1), **patient_kw)
    result = evaluate(make_ctx(patient, paris, **kw))
    found = [f for f in result.warnings if f.code == code]
    assert found and found[0].source and found[0].message_fr and code in WARNING_CODES
    assert not result.refused


def test_us_site_has_no_paris_policy_and_longer_fasting(make_patient, minnesota, make_ctx):
    """The US policy: no SFR rules for cervical interlaminar; solids fasting 8 h (ASA, longer end)."""
    patient = make_patient(birth_date=dt.date(1980, 1, 1))
    result = evaluate(make_ctx(patient, minnesota, region="cervical", sedation=True))
    assert "site_policy" not in codes(result)
    fasting = next(f for f in result.warnings if f.code == "sedation_fasting")
    assert "8 h" in fasting.message and "ASA" in fasting.source


@pytest.mark.parametrize("procedure,region,conditions,rule", [
    ("esi-transforaminal", "lumbar", [], "sfr-foraminal-prednisolone"),
    ("esi-interlaminar", "cervical", [], "sfr-cervical-interlaminar"),
    ("esi-interlaminar", "lumbar", ["prior_surgery_at_site"], "sfr-after-lumbar-surgery"),
])
def test_paris_policy_rules(make_patient, paris, make_ctx, procedure, region, conditions, rule):
    """The Paris sites flag foraminal prednisolone, cervical interlaminar and post-surgery lumbar (SFR 2018)."""
    result = evaluate(make_ctx(make_patient(conditions=conditions), paris, procedure=procedure, region=region))
    rules = [f.details["rule"] for f in result.warnings if f.code == "site_policy"]
    assert rules == [rule]
    assert all("SFR" in f.source or "Rhumatologie" in f.source for f in result.warnings if f.code == "site_policy")


def test_bad_answers_are_ignored_not_errors(make_patient, paris, make_ctx):
    """Garbage answers neither crash nor warn."""
    answers = {"conservative_care_weeks": "abc", "recent_imaging": None, "fever": "maybe", "active_infection": 0}
    result = evaluate(make_ctx(make_patient(birth_date=dt.date(1980, 1, 1), sex="male"), paris, answers=answers))
    assert codes(result) == [] and not result.refused


def test_preparation_in_french_with_dates(make_patient, paris, make_ctx):
    """A French patient gets French lines: last dose and stop date of apixaban, fasting, escort, address."""
    patient = make_patient(language="fr", medications=["apixaban"], birth_date=dt.date(1980, 1, 1))
    result = evaluate(make_ctx(patient, paris, sedation=True, start=(2026, 3, 30, 9, 0)))
    prep = {p["code"]: p["text"] for p in result.preparation}
    assert "dernière prise le mardi 24 mars 2026" in prep["medication:apixaban"]
    assert "à partir du mercredi 25 mars 2026" in prep["medication:apixaban"]
    assert "reprendre à partir du mardi 31 mars 2026 à 09:30" in prep["medication:apixaban"]
    assert "partir du lundi 30 mars 2026 à 03:00" in prep["fasting"]        # SFAR: solids 6 h
    assert "jusqu'au lundi 30 mars 2026 à 07:00" in prep["fasting"]         # clear liquids 2 h
    assert prep["arrival"].startswith("Merci d'arriver à 08:30")
    assert paris.address in prep["address"] and paris.phone in prep["address"]
    assert list(prep)[0] == "procedure" and "escort" in prep


def test_preparation_in_english_for_hours_hold(make_patient, minnesota, make_ctx):
    """An English patient on enoxaparin gets an instant (hours hold) and no fasting without sedation."""
    patient = make_patient(language="en", medications=[("enoxaparin", "prophylactic")], birth_date=dt.date(1980, 1, 1))
    result = evaluate(make_ctx(patient, minnesota, start=(2026, 5, 26, 8, 0)))
    prep = {p["code"]: p["text"] for p in result.preparation}
    assert "last dose before Monday, May 25, 2026 at 8:00 PM" in prep["medication:enoxaparin"]
    assert "fasting" not in prep and "escort" not in prep


def test_two_antithrombotics_raise_the_bleeding_class(make_patient, paris, make_ctx):
    """Clopidogrel with aspirin before a lumbar facet injection: held as for an intermediate-risk procedure."""
    patient = make_patient(medications=["Plavix 75", "Kardégic 75"], birth_date=dt.date(1980, 1, 1), sex="male")
    result = evaluate(make_ctx(patient, paris, procedure="facet-joint"))
    assert result.bleeding_risk == "intermediate" and "concurrent_antithrombotics" in result.risk_factors
    holds = {h.drug: h for h in result.holds}
    assert holds["clopidogrel"].action == "stop" and holds["aspirin"].action == "shared_decision"
    alone = evaluate(make_ctx(make_patient(medications=["Plavix"], birth_date=dt.date(1980, 1, 1)), paris,
                              procedure="facet-joint"))
    assert alone.bleeding_risk == "low" and alone.holds[0].action == "shared_decision"


def test_no_glucose_warning_without_a_steroid(make_patient, paris, make_ctx):
    patient = make_patient(conditions=["diabetes"], birth_date=dt.date(1980, 1, 1), sex="male")
    assert "diabetes_glucose" not in codes(evaluate(make_ctx(patient, paris, procedure="medial-branch-block")))
    assert "diabetes_glucose" in codes(evaluate(make_ctx(patient, paris)))
