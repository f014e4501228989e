"""The words people read for the codes the system stores: regions, sides, appointment statuses and
the changes in an appointment's history. One table per kind of code, read by forms, pages and
messages alike, so that no page shows a code where a word belongs."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

REGION_LABELS = {"cervical": _l("Cervical"), "thoracic": _l("Thoracic"), "lumbar": _l("Lumbar"), "sacral": _l("Sacral")}
SIDE_LABELS = {"left": _l("Left"), "right": _l("Right"), "bilateral": _l("Bilateral"), "midline": _l("Midline")}
STATUS_LABELS = {
    "booked": _l("Booked"), "checked_in": _l("Checked in"), "in_procedure": _l("In procedure"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"), "no_show": _l("No-show"),
}
CHANGE_LABELS = {
    "booked": _l("Booked"), "rescheduled": _l("Moved"), "cancelled": _l("Cancelled"),
    "needs_reschedule": _l("To reschedule"),
}
CONDITION_LABELS = {
    "diabetes": _l("Diabetes"),
    "glaucoma": _l("Glaucoma"),
    "bleeding_disorder": _l("Bleeding disorder"),
    "immunosuppression": _l("Immunosuppression"),
    "heart_failure": _l("Heart failure"),
    "kidney_disease": _l("Severe kidney disease"),
    "liver_disease": _l("Severe liver disease"),
    "prior_surgery_at_site": _l("Earlier surgery or radiation at the site"),
    "postmenopausal": _l("Post-menopausal"),
}
ALLERGY_LABELS = {
    "iodinated_contrast": _l("Iodinated contrast"),
    "gadolinium": _l("Gadolinium"),
    "latex": _l("Latex"),
    "local_anesthetic": _l("Local anaesthetic"),
    "corticosteroid": _l("Corticosteroid"),
}
MODALITY_LABELS = {"fluoroscopy": _l("Fluoroscopy"), "ultrasound": _l("Ultrasound"), "ct": _l("CT")}
UNKNOWN = _l("Other")


class Words:
    """A text given in each language, read in the reader's (as a lazy translation is): for a catalog
    text inside a translated sentence."""

    def __init__(self, **texts: str) -> None:
        self.texts = texts

    def __str__(self) -> str:
        from flask_babel import get_locale

        return self.texts.get(str(get_locale()), self.texts.get("en", ""))


def _word(table: dict, code) -> str:
    """The word for `code`; a code no table knows reads "Other" rather than showing itself."""
    code = getattr(code, "value", code)
    if not code:
        return "—"
    return str(table.get(code, UNKNOWN))


def region_label(code) -> str:
    return _word(REGION_LABELS, code)


def side_label(code) -> str:
    return _word(SIDE_LABELS, code)


def status_label(code) -> str:
    return _word(STATUS_LABELS, code)


def modality_label(code) -> str:
    return _word(MODALITY_LABELS, code)


def allergy_label(code) -> str:
    return _word(ALLERGY_LABELS, code)


def condition_label(code) -> str:
    return _word(CONDITION_LABELS, code)


def change_label(action: str | None) -> str:
    """An appointment history line's action: "booked", "rescheduled", "status:checked_in"..."""
    if action and action.startswith("status:"):
        return status_label(action.partition(":")[2])
    return _word(CHANGE_LABELS, action)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(region_label=region_label, side_label=side_label,
                                 appointment_status=status_label, change_label=change_label,
                                 modality_label=modality_label, allergy_label=allergy_label,
                                 condition_label=condition_label)
