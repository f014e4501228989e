"""The checklist template (clinic/catalog/data/checklists.toml): phases, typed items, the
conditions that make an item apply to a booking, and the checks on a recorded value."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from clinic.catalog import DATA, Procedure, get_procedure
from clinic.catalog.bilingual import in_language, read
from clinic.catalog.medicines import patient_medicines
from clinic.catalog.rules import load_steroids
from clinic.screening.pregnancy import pregnancy_check
from clinic.timeutil import local_date

TYPES = ("yes_no", "number", "choice", "text", "vitals", "pain_score")
# The numeric rating scale of pain: 0 (no pain) to 10 (the worst imaginable).
PAIN_SCALE = (0, 10)
TEXT_MAX = 500


@dataclass(frozen=True)
class Phase:
    code: str
    label: dict[str, str]
    source: str

    def text(self, language: str) -> str:
        return in_language(self.label, language)


@dataclass(frozen=True)
class Item:
    code: str
    phase: str
    label: dict[str, str]
    type: str
    roles: tuple[str, ...]
    required: bool
    source: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    choice_labels: dict = field(default_factory=dict)
    when: dict = field(default_factory=dict)
    policy: dict = field(default_factory=dict)
    pain_moment: str | None = None
    check: str | None = None
    limit: str | None = None
    required_if: dict = field(default_factory=dict)
    reason_for: tuple[str, ...] = ()
    stop_on: tuple[str, ...] = ()
    unconfirmed: bool = False

    def text(self, language: str) -> str:
        return in_language(self.label, language)

    def choice_text(self, choice: str, language: str) -> str:
        labels = self.choice_labels.get(choice)
        return in_language(labels, language) if labels else choice

    def for_policy(self, policy: str | None) -> Item:
        """The item with the site policy's overrides (unit, range, required) applied."""
        overrides = self.policy.get(policy or "") or {}
        return replace(self, **overrides) if overrides else self


@dataclass(frozen=True)
class Template:
    code: str
    source: str
    phases: tuple[Phase, ...]
    items: tuple[Item, ...]
    observation_minutes: int
    observation_minutes_sedation: int
    observation_source: str
    vitals: dict
    steroids: dict

    def phase_index(self, code: str) -> int:
        return next(i for i, p in enumerate(self.phases) if p.code == code)

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)


def _steroids(raw: dict) -> dict:
    """The recordable steroids with their factor and particulate flag from steroids.toml (one source)."""
    substances = load_steroids()
    out = {}
    for code, row in raw.items():
        substance = substances.get(row.get("substance", ""))
        if row.get("substance") and substance is None:
            raise ValueError(f"checklist steroid {code}: unknown substance {row['substance']}")
        out[code] = {"label": row["label"], "substance": row.get("substance"),
                     "triamcinolone_factor": substance.triamcinolone_eq if substance else 0.0,
                     "particulate": bool(substance and substance.particulate)}
    return out


@cache
def load_template() -> Template:
    raw = read(DATA / "checklists.toml")
    phases = tuple(Phase(p["code"], p["label"], p["source"]) for p in raw["phases"])
    phase_codes = {p.code for p in phases}
    steroids = _steroids(raw["steroids"])
    items = []
    for row in raw["items"]:
        row = dict(row)
        if row["type"] not in TYPES or row["phase"] not in phase_codes:
            raise ValueError(f"checklist item {row['code']}: bad type or phase")
        row["roles"] = tuple(row["roles"])
        row["choices"] = tuple(row.get("choices", ()))
        row["reason_for"] = tuple(row.get("reason_for", ()))
        row["stop_on"] = tuple(row.get("stop_on", ()))
        if row["code"] in ("steroid", "premedication_steroid"):
            row["choice_labels"] = {code: s["label"] for code, s in steroids.items()}
        items.append(Item(**row))
    codes = [i.code for i in items]
    if len(codes) != len(set(codes)):
        raise ValueError("checklist item codes must be unique")
    obs = raw["observation"]
    vitals = {k: v for k, v in raw["vitals"].items() if isinstance(v, dict)}
    return Template(
        code=raw["template"]["code"], source=raw["template"]["source"], phases=phases, items=tuple(items),
        observation_minutes=obs["minutes"], observation_minutes_sedation=obs["minutes_after_sedation"],
        observation_source=obs["source"], vitals=vitals, steroids=steroids,
    )


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Booking:
    """What the conditions of the template look at, taken from an appointment."""

    procedure: Procedure | None
    procedure_code: str
    drugs: frozenset[str]            # substances and the rules they are held by (medicine vocabulary)
    unrecognised: bool               # a medicine on file the vocabulary does not know
    pregnancy: bool                  # ionising imaging for a patient who could be pregnant
    allergies: frozenset[str]
    conditions: frozenset[str]
    screening: dict
    sedation: bool
    room_modalities: frozenset[str]
    policy: str | None

    @classmethod
    def of(cls, appointment) -> Booking:
        patient = appointment.patient
        taken, unknown = patient_medicines(patient)
        return cls(
            procedure=get_procedure(appointment.procedure_code),
            procedure_code=appointment.procedure_code,
            drugs=frozenset(code for t in taken for code in (t.substance.code, t.substance.rule_code)),
            unrecognised=bool(unknown),
            pregnancy=pregnancy_check(patient, get_procedure(appointment.procedure_code), appointment.site,
                                      local_date(appointment.start_at, appointment.site.tz),
                                      appointment.screening,
                                      appointment.room.modalities if appointment.room else ()),
            allergies=frozenset(patient.allergies or ()),
            conditions=frozenset(patient.conditions or ()),
            screening=dict(appointment.screening or {}),
            sedation=bool(appointment.sedation),
            room_modalities=frozenset(appointment.room.modalities or ()) if appointment.room else frozenset(),
            policy=appointment.site.policy if appointment.site else None,
        )


def _holds(key: str, expected: Any, b: Booking) -> bool:
    proc = b.procedure
    if key == "medication_any":
        return bool(b.drugs & set(expected))
    if key == "pregnancy_check":
        return b.pregnancy == bool(expected)
    if key == "medication_unrecognised":
        return b.unrecognised == bool(expected)
    if key == "allergy_any":
        return bool(b.allergies & set(expected))
    if key == "condition_any":
        return bool(b.conditions & set(expected))
    if key == "screening_any":
        return any(b.screening.get(k) is True for k in expected)
    if key == "imaging":
        in_procedure = proc is None or expected in proc.imaging
        return in_procedure and (not b.room_modalities or expected in b.room_modalities)
    if key == "sedation":
        return b.sedation == bool(expected)
    if key == "procedure_flag":
        return bool(getattr(proc, expected, False)) if proc else False
    if key == "procedure_any":
        return b.procedure_code in expected
    raise ValueError(f"unknown checklist condition {key}")


def applies(item: Item, booking: Booking) -> bool:
    return all(_holds(k, v, booking) for k, v in item.when.items())


def items_for(booking: Booking, template: Template | None = None) -> list[Item]:
    """The template's items that apply to this booking, with the site policy's overrides."""
    template = template or load_template()
    return [i.for_policy(booking.policy) for i in template.items if applies(i, booking)]


def observation_minutes(sedation: bool, template: Template | None = None) -> int:
    template = template or load_template()
    return template.observation_minutes_sedation if sedation else template.observation_minutes


def triamcinolone_equivalent(steroid: str | None, dose_mg: float | None) -> float | None:
    if not steroid or dose_mg is None:
        return None
    row = load_template().steroids.get(steroid)
    return None if row is None else round(dose_mg * row["triamcinolone_factor"], 2)


def is_particulate(steroid: Any) -> bool:
    row = load_template().steroids.get(steroid) if isinstance(steroid, str) else None
    return bool(row and row["particulate"])


# ---------------------------------------------------------------- values


class InvalidValue(ValueError):
    """A value of the wrong type or out of range for its item."""


def _number(value: Any, low: float | None, high: float | None, integer: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
        raise InvalidValue("Expected an integer." if integer else "Expected a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue("Expected a finite number.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidValue(f"Expected a value from {low:g} to {high:g}.")
    return value


def check_value(item: Item, value: Any, template: Template | None = None) -> Any:
    """The value, normalised, or InvalidValue naming what is wrong."""
    template = template or load_template()
    if value is None:
        raise InvalidValue("A value is required.")
    if item.type == "yes_no":
        if not isinstance(value, bool):
            raise InvalidValue("Expected true or false.")
        return value
    if item.type == "number":
        return _number(value, item.min, item.max)
    if item.type == "pain_score":
        return _number(value, *PAIN_SCALE, integer=True)
    if item.type == "choice":
        if not isinstance(value, str) or value not in item.choices:
            raise InvalidValue(f"Expected one of: {', '.join(item.choices)}.")
        return value
    if item.type == "text":
        if not isinstance(value, str) or len(value) > TEXT_MAX:
            raise InvalidValue(f"Expected a text of at most {TEXT_MAX} characters.")
        return value.strip()
    return _vitals(value, template.vitals)


def _vitals(value: Any, limits: dict) -> dict:
    if not isinstance(value, dict) or set(value) - set(limits):
        raise InvalidValue(f"Expected an object with {', '.join(limits)}.")
    checked = {}
    for name, rule in limits.items():
        try:
            checked[name] = _number(value.get(name), rule["min"], rule["max"], integer=True)
        except InvalidValue as err:
            raise InvalidValue(f"{name}: {err}") from None
    if checked["diastolic"] >= checked["systolic"]:
        raise InvalidValue("The diastolic pressure must be below the systolic.")
    return checked


def is_done(item: Item, value: Any, decided: bool = False) -> bool:
    """A recorded value completes its item; a required yes/no item only when true; a stopping
    answer ("fever: yes") only once a physician decided (an override reason)."""
    if value is None:
        return False
    if value in item.stop_on:
        return decided
    if item.type == "yes_no":
        return value is True or not item.required
    if item.type == "text":
        return bool(value.strip())
    return True
