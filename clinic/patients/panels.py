"""The sections of the patient page that other packages own: appointments and holds (scheduling),
messages (reminders), requests (portal), pain scores (outcomes). Each package adds its panel in its
init_app; the page shows the panels the reader's role may see, in their order, each loaded with one
query. Patients need not import the packages that sit above them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask.sansio.app import App

from clinic.access import can
from clinic.patients.models import Patient

KEY = "clinic.patients.panels"


@dataclass(frozen=True)
class Panel:
    name: str
    order: int
    permission: str                       # a permission of clinic.access: who sees the panel
    template: str                         # rendered with `panel` and `data` (what `load` returns)
    load: Callable[[Patient], dict[str, Any]]


def add_panel(app: App, panel: Panel) -> None:
    """Add (or replace, by name) a panel of the patient page."""
    app.extensions.setdefault(KEY, {})[panel.name] = panel


def panels_for(patient: Patient) -> list[tuple[Panel, dict[str, Any]]]:
    """The panels the reader may see, in order, each with its data."""
    panels = sorted(current_app.extensions.get(KEY, {}).values(), key=lambda p: (p.order, p.name))
    return [(panel, panel.load(patient)) for panel in panels if can(panel.permission)]
