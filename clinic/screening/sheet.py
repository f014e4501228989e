"""The preparation sheet of an appointment, in the patient's language: for the printable staff
page, the confirmation email and the patient portal (`render_sheet`)."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from clinic.catalog import get_procedure
from clinic.screening import preparation
from clinic.screening.results import BookingContext, MedicationHold
from clinic.screening.services import prepare


def sheet_texts(language: str) -> dict[str, str]:
    """The sheet's headings and labels in the patient's language (not the reader's)."""
    with force_locale(language):
        return {
            "title": _("Preparing for your appointment"), "patient": _("Patient"), "when": _("When"),
            "where": _("Where"), "before": _("Before the appointment"), "medications": _("Your medications"),
            "after": _("After the procedure"), "drug": _("Medication"), "stop_on": _("Do not take from"),
            "restart_after": _("May take again from"), "note": _("Note"), "none": _("Nothing special to prepare."),
        }


def context_for(appointment) -> BookingContext | None:
    """A booking context rebuilt from a stored appointment (None when its procedure left the catalog)."""
    procedure = get_procedure(appointment.procedure_code)
    if procedure is None:
        return None
    return BookingContext(
        patient=appointment.patient, procedure=procedure, site=appointment.site, start_at=appointment.start_at,
        end_at=appointment.end_at, region=appointment.region, side=appointment.side,
        sedation=bool(appointment.sedation), answers=dict(appointment.screening or {}),
        override_reason=appointment.override_reason, exclude_appointment_id=appointment.id,
    )


def stored_or_computed(appointment) -> tuple[list[dict], list[dict]]:
    """The preparation and holds stored at booking; computed now if the booking stored none."""
    if appointment.preparation:
        return list(appointment.preparation), list(appointment.medication_holds or [])
    ctx = context_for(appointment)
    if ctx is None:
        return [], list(appointment.medication_holds or [])
    items, holds = prepare(ctx)
    return items, [h.as_json() for h in holds]


def hold_rows(holds: list[dict], tz, language: str) -> list[dict]:
    """Stored medication holds as rows in `language`: the drug, its stop and restart dates, the line."""
    rows = []
    for raw in holds:
        hold = MedicationHold.from_json(raw)
        rows.append({"drug": hold.label(language), "action": hold.action,
                     "stop_on": preparation.fmt_local(hold.stop_on, tz, language),
                     "restart_after": preparation.fmt_local(hold.restart_after, tz, language),
                     "text": preparation.medication_line(hold, tz, language)})
    return rows


def sheet_data(appointment, language: str | None = None) -> dict:
    """Everything the sheet shows, as plain strings in the language (the patient's by default)."""
    language = language or preparation.language_of(appointment.patient)
    site, tz = appointment.site, appointment.site.tz
    items, holds = stored_or_computed(appointment)
    medication_codes = {i["code"] for i in items if i["code"].startswith("medication:")}
    return {
        "language": language,
        "t": sheet_texts(language),
        "patient_name": appointment.patient.full_name,
        "when": preparation.fmt_instant(appointment.start_at, tz, language),
        "site": site,
        "before": [i for i in items if i["code"] not in medication_codes],
        "medications": hold_rows(holds, tz, language),
        "after": preparation.aftercare(appointment.procedure_code, language, site)
        if get_procedure(appointment.procedure_code) else [],
    }


def render_plain(template: str, **context) -> str:
    """Render a template without the request's context processors: works in a request, in the
    dispatcher (CLI, no request) and in tests alike. Autoescaping follows the file extension."""
    return current_app.jinja_env.get_template(template).render(**context)


def render_sheet(appointment) -> Markup:
    """The sheet as an HTML fragment (escaped), in the patient's language, for any page to embed."""
    # Safe to embed as it is: the .html template autoescapes every value it prints.
    return Markup(render_plain("screening/_sheet.html", **sheet_data(appointment)))  # noqa: S704


def render_sheet_text(appointment) -> str:
    """The sheet as plain text, for the text part of the confirmation email."""
    return render_plain("screening/_sheet.txt", **sheet_data(appointment))
