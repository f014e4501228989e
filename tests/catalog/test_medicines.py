"""The medicine vocabulary: every name of every substance, as people write it, resolves to it."""

from __future__ import annotations

import unicodedata

import pytest

from clinic.catalog.medicines import closest, fold, load_vocabulary, pick_list, resolve
from clinic.catalog.rules import find_drug, validate_all

SUBSTANCES = load_vocabulary().substances.values()
NAMES = [(s.code, name) for s in SUBSTANCES for name in s.names]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _variants(name: str) -> list[str]:
    return [name, name.upper(), f"  {name.lower()}  ", f"{name} 75 mg", f"{name} 5 mg x2", f"{name} 0,5 mg/j",
            _strip_accents(name), name.replace(" ", "").replace("-", " ")]


@pytest.mark.parametrize("code,name", NAMES)
def test_every_name_resolves_to_its_substance(code, name):
    """Generic names, French spellings and brands, with dosage text, case, accents and spaces."""
    for written in _variants(name):
        assert code in [s.code for s in resolve(written)], written


# (what is typed, the substances it names) - written out by hand from the brand lists the vocabulary cites, not read from its file.
CASES = [
    ("Kardégic 75 mg", {"aspirin"}), ("kardegic", {"aspirin"}), ("Aspégic 100", {"aspirin"}),
    ("Eliquis 5 mg x2", {"apixaban"}), ("Xarelto 20mg", {"rivaroxaban"}), ("Pradaxa", {"dabigatran"}),
    ("Lixiana", {"edoxaban"}), ("Savaysa", {"edoxaban"}), ("Coumadine 5", {"warfarin"}),
    ("Coumadin", {"warfarin"}), ("Jantoven", {"warfarin"}), ("warfarine", {"warfarin"}),
    ("Previscan 20 mg", {"fluindione"}), ("Sintrom 4", {"acenocoumarol"}), ("Plavix 75", {"clopidogrel"}),
    ("Efient", {"prasugrel"}), ("Brilique 90", {"ticagrelor"}), ("Brilinta", {"ticagrelor"}),
    ("Lovenox 4000 UI", {"enoxaparin"}), ("énoxaparine", {"enoxaparin"}), ("Fragmine", {"dalteparin"}),
    ("Innohep", {"tinzaparin"}), ("tinzaparine", {"tinzaparin"}), ("Fraxiparine", {"nadroparin"}),
    ("nadroparine", {"nadroparin"}), ("Arixtra 2,5 mg", {"fondaparinux"}), ("Pletal", {"cilostazol"}),
    ("Persantine", {"dipyridamole"}), ("Asasantine LP", {"aspirin", "dipyridamole"}),
    ("Aggrenox", {"aspirin", "dipyridamole"}), ("Duoplavin 75/75", {"aspirin", "clopidogrel"}),
    ("ticlopidine", {"ticlopidine"}), ("Celebrex 200", {"celecoxib"}), ("Profénid 100", {"ketoprofen"}),
    ("aceclofenac", {"aceclofenac"}), ("diflunisal", {"diflunisal"}), ("Seroplex 10", {"escitalopram"}),
    ("Omacor", {"fish_oil"}), ("huile de poisson", {"fish_oil"}), ("Doliprane 1000", {"paracetamol"}),
]


@pytest.mark.parametrize("written,expected", CASES)
def test_names_from_the_reference(written, expected):
    assert {s.code for s in resolve(written)} == expected


def test_caution_substances_are_continued():
    for code in ("fluoxetine", "sertraline", "venlafaxine", "duloxetine", "fish_oil", "ginkgo", "garlic"):
        assert load_vocabulary().substances[code].action == "caution"


def test_every_substance_has_a_source_and_every_held_one_a_rule():
    validate_all()
    for substance in SUBSTANCES:
        assert substance.source
        if substance.action == "hold":
            assert find_drug(substance.rule_code) is not None, substance.code
    assert load_vocabulary().substances["fluindione"].rule_code == "warfarin"


@pytest.mark.parametrize("indication,variant", [
    ("prévention primaire", "primary_prevention"), ("Prevention-Primaire", "primary_prevention"),
    ("PRÉVENTION SECONDAIRE", "secondary_prevention"), ("stent 2024", "secondary_prevention"),
    (None, "secondary_prevention"),
])
def test_aspirin_indications_are_normalised(indication, variant):
    assert find_drug("aspirin", indication).variant == variant


@pytest.mark.parametrize("indication,variant", [("prophylaxie", "prophylactic"), ("dose préventive", "prophylactic"),
                                                ("curatif", "therapeutic"), ("", "therapeutic")])
def test_enoxaparin_indications_are_normalised(indication, variant):
    assert find_drug("enoxaparin", indication).variant == variant


def test_unknown_names_resolve_to_nothing_with_the_closest_known_names():
    assert resolve("Zorglub 10 mg") == ()
    assert resolve("") == ()
    assert "Kardégic" in closest("kardegik")
    assert fold("Prévention  Primaire!") == "prevention primaire"


def test_pick_list_holds_brands_and_french_spellings_once():
    names = pick_list()
    assert len(names) == len(set(names))
    for name in ("Kardégic", "Eliquis", "warfarine", "Previscan", "Lovenox", "Savaysa"):
        assert name in names
