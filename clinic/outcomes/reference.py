"""Reference values for outcome and safety reports, read from clinic/catalog/data/outcomes.toml.

Site steroid limits come from clinic/catalog/data/policies.toml when that file names one for the
site's policy; otherwise from the default in outcomes.toml (with its source).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import NormalDist
from typing import Any

from clinic.catalog import DATA
from clinic.catalog.bilingual import in_language, read


@dataclass(frozen=True)
class PublishedRange:
    low: float
    high: float
    label: dict[str, str]
    source: str

    def text(self, language: str) -> str:
        return in_language(self.label, language)


@dataclass(frozen=True)
class SteroidLimit:
    mg: float
    source: str


@cache
def load(path: Path | None = None) -> dict[str, Any]:
    return read(path or DATA / "outcomes.toml")


def min_relief() -> float:
    return float(load()["response"]["min_relief"])


def z_value() -> float:
    """The two-sided normal quantile for the configured confidence level (1.96 for 95%)."""
    confidence = float(load()["response"]["confidence"])
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def published(code: str) -> PublishedRange | None:
    row = load()["published"].get(code)
    if row is None:
        return None
    return PublishedRange(float(row["low"]), float(row["high"]), dict(row["label"]), row["source"])


def record_codes() -> dict[str, Any]:
    return load()["procedure_record"]


def steroid_limit(policy: str | None) -> SteroidLimit:
    """The yearly triamcinolone-equivalent limit of a site policy, or the documented default."""
    from clinic.catalog.rules import load_policies

    known = load_policies().get(policy or "")
    if known is not None and "max_triamcinolone_eq_mg_per_year" in known.steroid:
        return SteroidLimit(float(known.steroid["max_triamcinolone_eq_mg_per_year"]),
                            known.steroid.get("source", f"policies.toml [{policy}]"))
    conf = load()["steroid_exposure"]
    return SteroidLimit(float(conf["default_yearly_limit_mg"]), conf["source"])
