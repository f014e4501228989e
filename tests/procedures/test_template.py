"""The checklist template as data: every item sourced and well formed, and each conditional item
appearing exactly when its condition holds for the booking and the patient."""

from __future__ import annotations

import pytest

from clinic.catalog import load_procedures
from clinic.procedures import catalog, services

COMMON = {"identity_confirmed", "consent_signed", "vitals_before", "pain_before", "timeout_patient",
          "placement_confirmed", "complications", "vitals_after", "neuro_check", "pain_after", "signature"}


def codes(appointment) -> set[str]:
    return {i.code for i in services.load_case(appointment).items}


def test_every_item_is_well_formed_and_sourced():
    """Each item has a known phase and type, roles among nurse/physician, a source, and sane ranges."""
    template = catalog.load_template()
    phases = {p.code for p in template.phases}
    for item in template.items:
        assert item.phase in phases and item.type in catalog.TYPES and item.source
        assert set(item.roles) <= {"nurse", "physician"} and item.roles
        if item.type == "number":
            assert item.unit and item.min is not None and item.max is not None and item.min < item.max
        if item.type == "choice":
            assert item.choices
    assert template.observation_minutes == 15 and template.observation_minutes_sedation == 30


def test_roles_follow_the_phases():
    """Nurses record sign-in, monitoring and discharge; time-out, procedure record and signature are the physician's."""
    for item in catalog.load_template().items:
        if item.phase in ("time_out", "procedure", "signature"):
            assert item.roles == ("physician",), item.code
        elif item.code not in ("contrast_plan", "medicines_reviewed"):
            assert "nurse" in item.roles, item.code


def test_plain_booking_has_only_the_common_items(make_case):
    """Without warfarin, pregnancy, diabetes, sedation or allergy, no conditional sign-in item appears."""
    found = codes(make_case(procedure="esi-interlaminar"))
    assert found >= COMMON
    assert not found & {"inr", "pregnancy_excluded", "glucose", "escort_present", "iv_access", "contrast_plan",
                        "realtime_contrast_check", "anticoagulant_hold_verified", "escort_at_discharge"}


@pytest.mark.parametrize("drug, expected", [("warfarin", True), ("acenocoumarol", True), ("apixaban", False)])
def test_inr_for_vitamin_k_antagonists(make_case, drug, expected):
    """INR is asked for warfarin and acenocoumarol only; the hold check for any blood thinner."""
    found = codes(make_case(medications=[drug]))
    assert ("inr" in found) is expected
    assert "anticoagulant_hold_verified" in found


def test_pregnancy_item_when_possible_pregnancy_meets_fluoroscopy(make_case, make_site):
    """A possible pregnancy adds the test-or-waiver item under fluoroscopy, not in an ultrasound room."""
    assert "pregnancy_excluded" in codes(make_case(screening={"possible_pregnancy": True}))
    assert "pregnancy_excluded" not in codes(make_case(screening={"possible_pregnancy": False}))
    echo = make_site(rooms=[("Echo", ["ultrasound"])])
    assert "pregnancy_excluded" not in codes(
        make_case(procedure="si-joint", site=echo, screening={"possible_pregnancy": True}))


def test_glucose_for_diabetes_with_site_units(make_case, minnesota):
    """Diabetes adds a glucose item, in g/L at a French site and mg/dL at a US site."""
    paris_case = services.load_case(make_case(conditions=["diabetes"]))
    us_case = services.load_case(make_case(conditions=["diabetes"], site=minnesota))
    assert paris_case.item("glucose").unit == "g/L" and us_case.item("glucose").unit == "mg/dL"
    assert "glucose" not in codes(make_case(conditions=["glaucoma"]))


def test_escort_and_iv_access_for_sedation(make_case):
    """Sedation adds the escort, IV access and escort-at-discharge items."""
    found = codes(make_case(sedation=True))
    assert {"escort_present", "iv_access", "escort_at_discharge"} <= found


def test_realtime_contrast_check_for_transforaminal(make_case):
    """Only procedures flagged contrast_realtime_check (the transforaminal routes, the nerve-root block
    among them) get the real-time/DSA item; the same ones require a non-particulate steroid."""
    flagged = {c for c, p in load_procedures().items() if p.contrast_realtime_check}
    assert flagged == {"esi-transforaminal", "nerve-root-block"}
    assert flagged == {c for c, p in load_procedures().items() if p.non_particulate_steroid}
    assert "realtime_contrast_check" in codes(make_case(procedure="esi-transforaminal"))
    assert "realtime_contrast_check" in codes(make_case(procedure="nerve-root-block"))
    assert "realtime_contrast_check" not in codes(make_case(procedure="facet-joint"))


@pytest.mark.parametrize("allergy, expected", [("iodinated_contrast", True), ("gadolinium", True), ("latex", False)])
def test_contrast_plan_for_contrast_allergy(make_case, allergy, expected):
    """A contrast or gadolinium allergy requires the physician's contrast plan."""
    assert ("contrast_plan" in codes(make_case(allergies=[allergy]))) is expected


def test_steroid_items_only_for_steroid_procedures(make_case):
    """Medial branch blocks and RFA record no steroid; RFA adds its own safety items."""
    rfa = codes(make_case(procedure="rfa"))
    assert "steroid" not in rfa and "steroid_dose_mg" not in rfa
    assert {"timeout_rf_grounding_pad", "rf_motor_test"} <= rfa
    assert "steroid" in codes(make_case(procedure="esi-caudal"))


def test_radiation_report_fields_required_in_france(make_case, minnesota):
    """Equipment and operator are required at French sites (radiation report), optional in the US."""
    fr = services.load_case(make_case())
    us = services.load_case(make_case(site=minnesota))
    assert fr.item("equipment").required and fr.item("operator").required
    assert not us.item("equipment").required


def test_triamcinolone_equivalents_from_data():
    """Equivalence factors come from the data file."""
    assert catalog.triamcinolone_equivalent("triamcinolone", 40) == 40
    assert catalog.triamcinolone_equivalent("methylprednisolone", 80) == 80
    assert catalog.triamcinolone_equivalent("dexamethasone", 15) == pytest.approx(79.95)
    assert catalog.triamcinolone_equivalent(None, 10) is None
