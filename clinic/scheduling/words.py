"""What the screening stored with an appointment, as its reader reads it: each warning in the
reader's language (never its code), each medicine hold as one sentence with its dates on the site's
clock."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from clinic.screening.preparation import medication_line
from clinic.screening.results import Finding, MedicationHold


def finding_text(finding: Finding | dict) -> str:
    """A warning or refusal (as screened, or as stored) in the reader's language."""
    language = str(get_locale())
    if isinstance(finding, Finding):
        return finding.text(language)
    french = finding.get("message_fr")
    return french if language == "fr" and french else finding.get("message", "")


def hold_line(hold: MedicationHold | dict, site) -> str:
    """"Stop apixaban from Thursday 10 December..." with the site's dates, in the reader's language."""
    if isinstance(hold, dict):
        hold = MedicationHold.from_json(hold)
    return medication_line(hold, site.tz, str(get_locale()))


def register(app: Flask) -> None:
    app.jinja_env.globals.update(finding_text=finding_text, hold_line=hold_line)
