"""Which vertebral levels belong to which spinal region (clinic/catalog/data/regions.toml)."""

from __future__ import annotations

import re
from functools import cache

from clinic.catalog import DATA
from clinic.catalog.bilingual import read

LEVEL = re.compile(r"^([CTLS])(\d{1,2})(?:-([CTLS])(\d{1,2}))?$")


@cache
def _data() -> dict:
    return read(DATA / "regions.toml")


def level_problem(level: str, region: str | None) -> str | None:
    """Why `level` cannot be a level of `region` ("L4-L5", "S1", "C7-T1"), or None when it can.
    Without a region only the level's own form and numbers are checked."""
    found = LEVEL.match(level)
    if found is None:
        return f"{level}: levels look like L4-L5 or S1."
    numbers = _data()["numbers"]
    parts = [(found.group(1), int(found.group(2)))]
    if found.group(3):
        parts.append((found.group(3), int(found.group(4))))
    for letter, number in parts:
        low, high = numbers[letter]
        if not low <= number <= high:
            return f"{level}: {letter}{number} does not exist ({letter}{low} to {letter}{high})."
    if region is None:
        return None
    entry = _data()["regions"][region]
    if level in entry["junctions"] or all(letter in entry["letters"] for letter, _ in parts):
        return None
    return f"{level} is not a {region} level."
