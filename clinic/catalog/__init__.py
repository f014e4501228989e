"""The procedure catalog and site policies: clinical rules as reviewed data files."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from clinic.catalog.bilingual import in_language, read

DATA = Path(__file__).parent / "data"
RISK_CLASSES = ("low", "intermediate", "high")


@dataclass(frozen=True)
class Procedure:
    code: str
    name: dict[str, str]
    imaging: tuple[str, ...]
    contrast: bool
    steroid: bool
    bleeding_risk: str
    duration_minutes: int
    regions: tuple[str, ...]
    source: str
    usual_steroid_dose_mg: float = 0
    bleeding_risk_cervical: str | None = None
    contrast_realtime_check: bool = False
    non_particulate_steroid: bool = False
    extra: dict = field(default_factory=dict)

    def label(self, language: str) -> str:
        return in_language(self.name, language)

    def risk_for(self, region: str | None) -> str:
        """The bleeding-risk class of this procedure at a spinal region (cervical may differ)."""
        if region == "cervical" and self.bleeding_risk_cervical:
            return self.bleeding_risk_cervical
        return self.bleeding_risk


_KNOWN = set(Procedure.__dataclass_fields__) - {"code", "extra"}


@cache
def load_procedures() -> dict[str, Procedure]:
    """Every procedure of the catalog by code, in file order."""
    raw = read(DATA / "procedures.toml")
    procedures: dict[str, Procedure] = {}
    for code, row in raw["procedures"].items():
        known = {k: v for k, v in row.items() if k in _KNOWN}
        for key in ("imaging", "regions"):
            known[key] = tuple(known[key])
        if known["bleeding_risk"] not in RISK_CLASSES:
            raise ValueError(f"procedure {code}: unknown bleeding risk {known['bleeding_risk']}")
        procedures[code] = Procedure(code=code, extra={k: v for k, v in row.items() if k not in _KNOWN}, **known)
    return procedures


def get_procedure(code: str) -> Procedure | None:
    return load_procedures().get(code)


def init_app(app: Flask) -> None:
    from clinic import navigation
    from clinic.catalog import views

    app.register_blueprint(views.bp)
    navigation.add("catalog.index", _l("Catalog"), "view_catalog", _l("Procedures, blood-thinner holds and site policies"),
                   order=80, group="reports")
