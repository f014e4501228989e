"""The waiting list's forms: format checks only; the services check the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField
from wtforms.validators import DataRequired, Optional

from clinic.queryargs import plausible_day

TIME_LABELS = {"morning": _l("Morning"), "afternoon": _l("Afternoon")}
STATUS_LABELS = {"waiting": _l("Waiting"), "offered": _l("Offer sent"), "booked": _l("Booked"),
                 "removed": _l("Removed")}


class EntryForm(FlaskForm):
    site = SelectField(_l("Site"), validators=[DataRequired()])
    procedure = SelectField(_l("Procedure"), validators=[DataRequired()])
    physician = SelectField(_l("Physician"), validators=[Optional()])
    from_date = DateField(_l("From"), validators=[Optional(), plausible_day])
    to_date = DateField(_l("To"), validators=[Optional(), plausible_day])
    time_of_day = SelectField(_l("Time of day"), choices=[("", _l("Any time")), *TIME_LABELS.items()],
                              validators=[Optional()])


class SlotForm(FlaskForm):
    """A start chosen from an entry's freed times (book it, or offer it to the patient)."""

    start = HiddenField(validators=[DataRequired()])
    physician = HiddenField(validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button that posts (remove from the list, accept an offer)."""
