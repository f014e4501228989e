"""The catalog's rule files: complete, sourced, flagged where unconfirmed, and refused when broken."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from clinic.catalog import RISK_CLASSES, load_procedures, rules

REFERENCE_DRUGS = {
    "aspirin:primary_prevention", "aspirin:secondary_prevention", "ibuprofen", "diclofenac", "ketorolac", "etodolac",
    "indomethacin", "naproxen", "meloxicam", "nabumetone", "oxaprozin", "piroxicam", "cilostazol", "dipyridamole",
    "warfarin", "acenocoumarol", "heparin:iv", "heparin:subcutaneous", "enoxaparin:prophylactic",
    "enoxaparin:therapeutic", "dalteparin", "clopidogrel", "prasugrel", "ticagrelor", "dabigatran", "rivaroxaban",
    "edoxaban", "apixaban", "fondaparinux",
}
# Not in section 2's table; added with the medicine vocabulary (section 7, review I3), unconfirmed.
ADDED = {"ketoprofen", "aceclofenac", "diflunisal", "celecoxib", "ticlopidine"}
UNCONFIRMED_IN_REFERENCE = {"prasugrel", "ticagrelor", "dabigatran", "rivaroxaban", "edoxaban", "apixaban",
                            "fondaparinux", *ADDED}


def test_every_file_loads_and_validates():
    """All data files load without a CatalogError."""
    rules.validate_all()


def test_every_reference_drug_row_is_in_the_catalog_with_a_source():
    """Section 2's rows, one each, every risk class, a restart per class, a named source."""
    drugs = rules.load_drugs()
    assert {d.key for d in drugs} == REFERENCE_DRUGS | ADDED
    for drug in drugs:
        assert set(drug.by_risk) == set(RISK_CLASSES) == set(drug.restart_hours)
        assert "ASRA" in drug.source


def test_unconfirmed_rows_are_flagged():
    """Rows the reference marks unconfirmed carry the flag; clopidogrel's restart too."""
    flagged = {d.drug for d in rules.load_drugs() if any(r.unconfirmed for r in d.by_risk.values())}
    assert flagged == UNCONFIRMED_IN_REFERENCE
    assert rules.find_drug("clopidogrel").restart_unconfirmed


def test_every_policy_section_and_rule_names_a_source():
    """Both policies (fr, us): each section and Paris rule has a source and an unconfirmed flag."""
    policies = rules.load_policies()
    assert set(policies) == {"fr", "us"}
    for policy in policies.values():
        for section in policy.sections().values():
            assert section["source"] and isinstance(section["unconfirmed"], bool)
    assert policies["fr"].fasting["solids_hours"] == 6 and policies["us"].fasting["solids_hours"] == 8
    assert policies["us"].steroid["max_sessions_per_region"] == 4
    assert policies["us"].steroid["max_triamcinolone_eq_mg_per_year"] == 200
    assert {r.id for r in policies["fr"].rules} == {"sfr-foraminal-prednisolone", "sfr-cervical-interlaminar",
                                                     "sfr-after-lumbar-surgery"}
    assert policies["us"].rules == ()
    assert policies["fr"].quiet_start.hour == 21 and policies["fr"].quiet_end.hour == 8


def test_unknown_site_policy_falls_back_to_us():
    """A site whose policy column names nothing known reads the US policy."""
    assert rules.policy_for(SimpleNamespace(policy="xx")).code == "us"


def test_steroid_equivalence_and_particulates():
    """Dexamethasone is non-particulate (about 5.3x triamcinolone); uncertain rows are flagged."""
    steroids = rules.load_steroids()
    assert not steroids["dexamethasone"].particulate and steroids["triamcinolone"].particulate
    assert steroids["betamethasone"].unconfirmed and steroids["cortivazol"].unconfirmed
    assert rules.find_steroid("Methylprednisolone acetate 80 mg").code == "methylprednisolone"
    assert rules.find_steroid("") is None and rules.find_steroid("unknown") is None


def test_every_procedure_has_texts_in_both_languages():
    """Preparation and after-care lines exist in French and English for every procedure."""
    for code in load_procedures():
        for part in ("prepare", "aftercare"):
            assert rules.procedure_text(code, part, "fr") and rules.procedure_text(code, part, "en")


@pytest.mark.parametrize("drug,indication,key", [
    ("Heparin", "preventive", "heparin:subcutaneous"),     # "iv" inside a word does not pick the IV row
    ("heparin", "IV infusion", "heparin:iv"),
    ("enoxaparin", "prophylaxis after surgery", "enoxaparin:prophylactic"),
    ("enoxaparin", None, "enoxaparin:therapeutic"),
    ("aspirin", "primary prevention", "aspirin:primary_prevention"),
    ("aspirin", "after stent", "aspirin:secondary_prevention"),
])
def test_variant_chosen_from_the_indication(drug, indication, key):
    """The indication picks the variant by whole words; without one, the default (safer) variant."""
    assert rules.find_drug(drug, indication).key == key


def test_broken_rules_are_refused():
    """A hold without days or hours, an unknown action, a missing risk class or an unsourced policy fail."""
    with pytest.raises(rules.CatalogError):
        rules._hold_rule("x", "high", {"action": "stop"})
    with pytest.raises(rules.CatalogError):
        rules._hold_rule("x", "high", {"action": "pause"})
    with pytest.raises(rules.CatalogError):
        rules._drug_rule({"drug": "x", "group": "g", "high": {"action": "continue"}, "restart": {"high": 1}}, "s")
    section = {"max": 1, "source": "", "unconfirmed": False}
    with pytest.raises(rules.CatalogError):
        rules._policy("zz", {"name": "Z", "inr": section, "steroid": section, "fasting": section,
                             "visit": section, "quiet_hours": section})
