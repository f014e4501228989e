"""Clinical rules read from the catalog's data files: blood-thinner holds, steroid equivalence,
site policies, screening texts and patient texts. Loaded once, validated at load (a bad file fails
loudly at start-up or in the tests, never half-way through a booking)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from clinic.catalog import DATA, RISK_CLASSES, load_procedures
from clinic.catalog.bilingual import LANGUAGES, CatalogError, in_language, read
from clinic.catalog.medicines import load_vocabulary
from clinic.text import fold

HOLD_ACTIONS = ("stop", "continue", "shared_decision")


def _read(name: str) -> dict:
    return read(DATA / name)


# ---------------------------------------------------------------- blood thinners


@dataclass(frozen=True)
class HoldRule:
    """What to do with one drug before a procedure of one bleeding-risk class."""

    action: str
    days: int | None = None
    hours: int | None = None
    days_renal: int | None = None
    inr_check: bool = False
    range: str | None = None
    unconfirmed: bool = False

    def describe(self) -> str:
        if self.action != "stop":
            return self.action.replace("_", " ")
        amount = f"{self.days} days" if self.days is not None else f"{self.hours} h"
        return f"stop {amount}" + (f" (range {self.range})" if self.range else "")

    @property
    def stop_hours(self) -> int:
        """The length of a stop counted in hours (the loader gives every stop days or hours)."""
        if self.hours is None:
            raise CatalogError(f"a stop of {self.days} days has no length in hours")
        return self.hours


@dataclass(frozen=True)
class DrugRule:
    drug: str
    variant: str | None
    group: str
    by_risk: dict[str, HoldRule]
    restart_hours: dict[str, int]
    source: str
    default: bool = False
    aliases: tuple[str, ...] = ()
    restart_range: str | None = None
    restart_unconfirmed: bool = False

    @property
    def key(self) -> str:
        return f"{self.drug}:{self.variant}" if self.variant else self.drug

    @property
    def unconfirmed(self) -> bool:
        return self.restart_unconfirmed or any(r.unconfirmed for r in self.by_risk.values())


def _hold_rule(drug: str, risk: str, raw: dict) -> HoldRule:
    action = raw.get("action")
    if action not in HOLD_ACTIONS:
        raise CatalogError(f"drug {drug} ({risk}): unknown action {action!r}")
    if action == "stop" and (raw.get("days") is None) == (raw.get("hours") is None):
        raise CatalogError(f"drug {drug} ({risk}): a stop needs either days or hours")
    unknown = set(raw) - set(HoldRule.__dataclass_fields__)
    if unknown:
        raise CatalogError(f"drug {drug} ({risk}): unknown keys {sorted(unknown)}")
    return HoldRule(**raw)


def _drug_rule(row: dict, default_source: str) -> DrugRule:
    drug = row["drug"]
    missing = [r for r in RISK_CLASSES if r not in row or r not in row.get("restart", {})]
    if missing:
        raise CatalogError(f"drug {drug}: no rule for risk class {missing}")
    return DrugRule(
        drug=drug,
        variant=row.get("variant"),
        group=row["group"],
        by_risk={r: _hold_rule(drug, r, row[r]) for r in RISK_CLASSES},
        restart_hours={r: int(row["restart"][r]) for r in RISK_CLASSES},
        source=row.get("source", default_source),
        default=bool(row.get("default", False)),
        aliases=tuple(a.lower() for a in row.get("aliases", ())),
        restart_range=row.get("restart_range"),
        restart_unconfirmed=bool(row.get("restart_unconfirmed", False)),
    )


@cache
def load_drugs() -> tuple[DrugRule, ...]:
    raw = _read("medications.toml")
    rules = tuple(_drug_rule(row, raw["sources"]["default"]) for row in raw["drugs"])
    by_drug: dict[str, list[DrugRule]] = {}
    for rule in rules:
        by_drug.setdefault(rule.drug, []).append(rule)
    for drug, variants in by_drug.items():
        if len(variants) > 1 and sum(v.default for v in variants) != 1:
            raise CatalogError(f"drug {drug}: several variants need exactly one default")
    return rules


def _norm(text: str | None) -> str:
    """Without case, accents or punctuation ("Prévention primaire" is "prevention primaire")."""
    return fold(text)


def find_drug(drug: str, indication: str | None = None) -> DrugRule | None:
    """The hold rule of a substance (its medications.toml `drug`): its variant by indication,
    else the default variant. Names as patients write them go through medicines.resolve first."""
    name = _norm(drug)
    variants = [r for r in load_drugs() if _norm(r.drug) == name]
    if not variants:
        return None
    wanted = _norm(indication)
    if wanted:
        for rule in variants:
            names = {_norm(rule.variant)} | {_norm(a) for a in rule.aliases}
            if any(n and f" {n} " in f" {wanted} " for n in names):
                return rule
    return next((r for r in variants if r.default), variants[0])


# ---------------------------------------------------------------- steroids


@dataclass(frozen=True)
class Steroid:
    code: str
    name: dict[str, str]
    triamcinolone_eq: float
    particulate: bool
    unconfirmed: bool = False
    note: str = ""


@cache
def load_steroids() -> dict[str, Steroid]:
    raw = _read("steroids.toml")
    return {code: Steroid(code=code, **row) for code, row in raw["steroids"].items()}


def steroid_source() -> str:
    return _read("steroids.toml")["source"]


def find_steroid(name: str | None) -> Steroid | None:
    """A steroid by code or by a name that contains its code ("Triamcinolone acetonide")."""
    text = _norm(name)
    if not text:
        return None
    for code, steroid in load_steroids().items():
        if code in text:
            return steroid
    return None


# ---------------------------------------------------------------- site policies


@dataclass(frozen=True)
class PolicyRule:
    id: str
    code: str
    message: dict[str, str]
    source: str
    unconfirmed: bool = False
    procedures: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    steroid: bool | None = None

    def matches(self, procedure_code: str, region: str | None, conditions, steroid: bool) -> bool:
        if self.procedures and procedure_code not in self.procedures:
            return False
        if self.regions and region not in self.regions:
            return False
        if self.conditions and not set(self.conditions) & set(conditions or ()):
            return False
        return self.steroid is None or self.steroid == steroid


@dataclass(frozen=True)
class Policy:
    code: str
    name: str
    inr: dict[str, Any]
    steroid: dict[str, Any]
    fasting: dict[str, Any]
    visit: dict[str, Any]
    quiet_hours: dict[str, Any]
    rules: tuple[PolicyRule, ...] = field(default_factory=tuple)
    optional: dict[str, dict] = field(default_factory=dict)   # glucose, pregnancy, emergency: when set

    def sections(self) -> dict[str, dict]:
        return {"inr": self.inr, "steroid": self.steroid, "fasting": self.fasting,
                "visit": self.visit, "quiet_hours": self.quiet_hours, **self.optional}

    def section(self, name: str) -> dict[str, Any]:
        """A section by name ({} when this policy does not set it)."""
        return self.sections().get(name) or {}

    @property
    def quiet_start(self) -> dt.time:
        return dt.time.fromisoformat(self.quiet_hours["start"])

    @property
    def quiet_end(self) -> dt.time:
        return dt.time.fromisoformat(self.quiet_hours["end"])


OPTIONAL_SECTIONS = ("glucose", "pregnancy", "emergency")


def _policy(code: str, raw: dict) -> Policy:
    sections = {k: raw[k] for k in ("inr", "steroid", "fasting", "visit", "quiet_hours")}
    optional = {k: raw[k] for k in OPTIONAL_SECTIONS if k in raw}
    for name, section in (sections | optional).items():
        if not section.get("source") or "unconfirmed" not in section:
            raise CatalogError(f"policy {code}.{name}: every rule needs a source and an unconfirmed flag")
    rules = []
    for row in raw.get("rules", ()):
        if set(row["message"]) != set(LANGUAGES) or not row.get("source"):
            raise CatalogError(f"policy {code} rule {row.get('id')}: message in en and fr, and a source")
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}
        rules.append(PolicyRule(**fields))
    return Policy(code=code, name=raw["name"], rules=tuple(rules), optional=optional, **sections)


@cache
def load_policies() -> dict[str, Policy]:
    return {code: _policy(code, raw) for code, raw in _read("policies.toml")["policies"].items()}


def policy_for(site) -> Policy:
    """The policy named by the site's `policy` column ("us" when it names none we know)."""
    policies = load_policies()
    return policies.get(getattr(site, "policy", None) or "us") or policies["us"]


# ---------------------------------------------------------------- texts


@cache
def screening_data() -> dict:
    raw = _read("screening.toml")
    for code, text in raw["messages"].items():
        if not all(text.get(k) for k in ("en", "fr", "source")):
            raise CatalogError(f"screening message {code}: en, fr and source are required")
    return raw


@cache
def patient_texts() -> dict:
    raw = _read("preparation.toml")
    for code in load_procedures():
        entry = raw["procedures"].get(code)
        if not entry or any(not entry[part].get(lang) for part in ("prepare", "aftercare") for lang in LANGUAGES):
            raise CatalogError(f"preparation.toml: procedure {code} needs prepare and aftercare in en and fr")
    return raw


def text(section: str, key: str, language: str) -> str:
    """One patient text in the language (English when the language has none)."""
    return in_language(patient_texts()[section][key], language)


def procedure_text(code: str, part: str, language: str) -> list[str]:
    """A procedure's `prepare` or `aftercare` lines in the language (English when missing)."""
    return list(in_language(patient_texts()["procedures"][code][part], language))


def common_aftercare(language: str) -> list[str]:
    return list(in_language(patient_texts()["aftercare"], language))


def label(kind: str, code: str, language: str) -> str:
    entry = screening_data()["labels"].get(kind, {}).get(code)
    return in_language(entry, language) if entry else code.replace("_", " ")


def check_vocabulary() -> None:
    """Every substance held has a hold rule, and every hold rule a substance of the vocabulary."""
    ruled = {r.drug for r in load_drugs()}
    substances = load_vocabulary().substances.values()
    missing = sorted(s.code for s in substances if s.action == "hold" and s.rule_code not in ruled)
    unnamed = sorted(ruled - {s.code for s in substances})
    if missing or unnamed:
        raise CatalogError(f"medicines.toml and medications.toml disagree: no rule for {missing}, "
                           f"no substance for {unnamed}")


def validate_all() -> None:
    """Load every file (raises CatalogError on the first broken rule)."""
    load_procedures()
    load_drugs()
    check_vocabulary()
    load_steroids()
    load_policies()
    screening_data()
    patient_texts()
