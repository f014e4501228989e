"""Marks beside a patient's name, on the patient list and at the top of the patient page, that other
packages own: reminders adds "Message not delivered". Each package adds its badge in its init_app;
a badge is found for a whole page of patients in one query, within the reader's organisations, and
shown to the roles its permission names, linking to the section of the patient page that explains it."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask.sansio.app import App

from clinic.access import can

KEY = "clinic.patients.badges"


@dataclass(frozen=True)
class Badge:
    name: str
    order: int
    label: Any                                   # a lazy translated text
    permission: str                              # a permission of clinic.access: who sees the badge
    anchor: str                                  # the id of the patient page's section it links to
    find: Callable[[Collection[int]], set[int]]  # which of these patients carry it (scoped to the reader)


def add_badge(app: App, badge: Badge) -> None:
    """Add (or replace, by name) a badge of the patients."""
    app.extensions.setdefault(KEY, {})[badge.name] = badge


def badges_for(patient_ids: Collection[int]) -> dict[int, list[Badge]]:
    """The badges the reader may see of each of these patients, in order (patients without any left out)."""
    found: dict[int, list[Badge]] = {}
    if not patient_ids:
        return found
    badges = sorted(current_app.extensions.get(KEY, {}).values(), key=lambda b: (b.order, b.name))
    for badge in badges:
        if can(badge.permission):
            for patient_id in badge.find(patient_ids):
                found.setdefault(patient_id, []).append(badge)
    return found
