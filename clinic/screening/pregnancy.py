"""Pregnancy wherever there is ionising radiation: a patient of child-bearing potential (the site
policy's ages, not recorded male), or one the desk ticked, before fluoroscopy or CT alike."""

from __future__ import annotations

import datetime as dt

from clinic.catalog import Procedure
from clinic.catalog.rules import policy_for


def is_yes(value) -> bool:
    """A screening answer as a boolean (JSON true, or a form's "true"/"yes"/"on"/"1")."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "y", "oui"}
    return value is True or (isinstance(value, int | float) and value == 1)


def child_bearing(patient, site, day: dt.date) -> bool:
    rule = policy_for(site).section("pregnancy")
    age = patient.age_on(day)
    return (patient.sex or "unknown") != "male" and rule.get("min_age", 0) <= age <= rule.get("max_age", -1)


def ionising(procedure: Procedure | None, site, room_modalities=()) -> bool:
    """The procedure may use ionising imaging, in this room when the room is known."""
    kinds = set(policy_for(site).section("pregnancy").get("imaging", ("fluoroscopy", "ct")))
    used = kinds & set(procedure.imaging if procedure else kinds)
    return bool(used & set(room_modalities)) if room_modalities else bool(used)


def pregnancy_check(patient, procedure: Procedure | None, site, day: dt.date, answers: dict | None,
                    room_modalities=()) -> bool:
    """The pregnancy item and warning apply: ionising imaging, and possible pregnancy."""
    possible = is_yes((answers or {}).get("possible_pregnancy")) or child_bearing(patient, site, day)
    return possible and ionising(procedure, site, room_modalities)
