"""What the screening stored with an appointment, as its reader reads it: each warning in the
reader's language, never its code."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from clinic.screening.results import Finding


def finding_text(finding: Finding | dict) -> str:
    """A warning or refusal (as screened, or as stored) in the reader's language."""
    language = str(get_locale())
    if isinstance(finding, Finding):
        return finding.text(language)
    french = finding.get("message_fr")
    return french if language == "fr" and french else finding.get("message", "")


def register(app: Flask) -> None:
    app.jinja_env.globals.update(finding_text=finding_text)
