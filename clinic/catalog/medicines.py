"""The medicine vocabulary (clinic/catalog/data/medicines.toml): substances by ATC code with their
generic names, French spellings and brands, and the matching of what a patient or a front desk
types ("Kardégic 75 mg", "Eliquis 5 mg x2") to substances, ignoring case, accents, spaces,
punctuation and dosage text. A name it does not know resolves to nothing: the caller flags it."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

from clinic.catalog import DATA
from clinic.catalog.bilingual import in_language, read
from clinic.text import fold

ACTIONS = ("hold", "caution", "none")
# Dosage and form words dropped before matching: numbers, units, "x2", forms, frequencies.
_DOSAGE = re.compile(
    r"^(\d+([.,]\d+)?(mg|g|mcg|ug|ml|ui|iu|u|mgj)?|x\d*|\d+x|mg|g|mcg|ug|ml|ui|iu|u|cp|cpr|comprimes?|gelules?|"
    r"sachets?|tabs?|tablets?|caps|capsules?|injectable|injection|seringues?|stylo|daily|jour|j|par|per|day|"
    r"fois|bid|tid|qd|od|matin|midi|soir|morning|evening|night|nuit|le|la|les|et|de|du|mg/j)$"
)


def _words(text: str | None) -> list[str]:
    return [w for w in fold(text).split() if not _DOSAGE.match(w)]


def _key(text: str) -> str:
    return "".join(_words(text)) or fold(text).replace(" ", "")


@dataclass(frozen=True)
class Substance:
    code: str
    atc: str
    name: dict[str, str]
    action: str
    names: tuple[str, ...]       # every name it is known by, as written in the file
    source: str
    hold_as: str | None = None
    unconfirmed: bool = False

    @property
    def rule_code(self) -> str:
        """The medications.toml rule this substance is held by."""
        return self.hold_as or self.code

    def label(self, language: str) -> str:
        return in_language(self.name, language)


@dataclass(frozen=True)
class Vocabulary:
    substances: dict[str, Substance]
    index: dict[str, tuple[str, ...]]     # matching key -> substance codes
    display: dict[str, str]               # matching key -> a name as written


def _substance(row: dict) -> Substance:
    action = row.get("action", "hold")
    if action not in ACTIONS or not row.get("source") or set(row["name"]) != {"en", "fr"}:
        raise ValueError(f"medicines.toml {row.get('code')}: action, source and name in en and fr are required")
    names = (row["code"].replace("_", " "), row["name"]["en"], row["name"]["fr"], *row.get("spellings", ()),
             *row.get("brands_fr", ()), *row.get("brands_us", ()))
    return Substance(code=row["code"], atc=row.get("atc", ""), name=row["name"], action=action,
                     names=tuple(dict.fromkeys(names)), source=row["source"], hold_as=row.get("hold_as"),
                     unconfirmed=bool(row.get("unconfirmed", False)))


@cache
def load_vocabulary() -> Vocabulary:
    raw = read(DATA / "medicines.toml")
    substances: dict[str, Substance] = {}
    index: dict[str, tuple[str, ...]] = {}
    display: dict[str, str] = {}
    for row in raw["substances"]:
        substance = _substance(row)
        if substance.code in substances:
            raise ValueError(f"medicines.toml: substance {substance.code} listed twice")
        substances[substance.code] = substance
        for name in substance.names:
            for key in {_key(name), fold(name).replace(" ", "")}:   # without and with its short words
                index[key] = tuple(dict.fromkeys((*index.get(key, ()), substance.code)))
                display.setdefault(key, name)
    return Vocabulary(substances, index, display)


def resolve(text: str | None) -> tuple[Substance, ...]:
    """The substances a typed medicine names (several for a combination), () when unknown.

    Every run of words is tried, longest first, so "Kardégic 75 mg sachet" and "aspirine du
    Rhône 500" both resolve; words already matched are not matched again."""
    vocabulary = load_vocabulary()
    words = _words(text)
    found: list[str] = []
    used = [False] * len(words)
    for size in range(len(words), 0, -1):
        for start in range(len(words) - size + 1):
            if any(used[start:start + size]):
                continue
            codes = vocabulary.index.get("".join(words[start:start + size]))
            if codes:
                found.extend(codes)
                used[start:start + size] = [True] * size
    return tuple(vocabulary.substances[c] for c in dict.fromkeys(found))


@dataclass(frozen=True)
class Taken:
    """One substance the patient takes, with the medicine line that names it."""

    substance: Substance
    written: str
    indication: str | None


def patient_medicines(patient, medications: tuple[tuple[str, str | None], ...] | None = None,
                      ) -> tuple[list[Taken], list[str]]:
    """The substances of the patient's medication list (or of `medications`, the list as checked
    at booking), and the names the vocabulary does not know."""
    lines = medications if medications is not None else [(m.drug, m.indication) for m in patient.medications or ()]
    taken: list[Taken] = []
    unknown: list[str] = []
    for drug, indication in lines:
        substances = resolve(drug)
        if not substances:
            unknown.append(drug)
        taken.extend(Taken(s, drug, indication) for s in substances)
    return taken, unknown


def closest(text: str | None, count: int = 3) -> list[str]:
    """The known names nearest to an unknown one (as written in the vocabulary)."""
    vocabulary = load_vocabulary()
    keys = difflib.get_close_matches(_key(text or ""), list(vocabulary.index), n=count, cutoff=0.6)
    return [vocabulary.display[k] for k in keys]


@cache
def pick_list() -> tuple[str, ...]:
    """Every name of the vocabulary once, sorted without regard to case or accents (a datalist)."""
    names = {n for s in load_vocabulary().substances.values() for n in s.names if n != s.code.replace("_", " ")}
    return tuple(sorted(names, key=lambda n: (fold(n), n)))
