"""Booking forms: format checks only; the services check slots, rules and screening."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from clinic.catalog.regions import LEVEL, level_problem
from clinic.labels import REGION_LABELS, SIDE_LABELS
from clinic.patients.forms import medications_field
from clinic.queryargs import plausible_day

SCREENING_FIELDS = ("possible_pregnancy", "active_infection", "fever", "conservative_care_weeks", "recent_imaging")


class BookingForm(FlaskForm):
    site = SelectField(_l("Site"), validators=[DataRequired()])
    procedure = SelectField(_l("Procedure"), validators=[DataRequired()])
    region = SelectField(_l("Region"), choices=[("", "—"), *REGION_LABELS.items()], validators=[Optional()])
    side = SelectField(_l("Side"), choices=[("", "—"), *SIDE_LABELS.items()], validators=[Optional()])
    levels = StringField(_l("Levels"), validators=[
        Optional(), Length(max=60),
        Regexp(r"^\s*[CTLS]\d{1,2}(-[CTLS]\d{1,2})?(\s*,\s*[CTLS]\d{1,2}(-[CTLS]\d{1,2})?)*\s*$",
               message=_l("Levels look like L4-L5, L5-S1.")),
    ])
    sedation = BooleanField(_l("Sedation"))
    possible_pregnancy = BooleanField(_l("Could the patient be pregnant?"))
    active_infection = BooleanField(_l("Active infection (at the site or systemic)?"))
    fever = BooleanField(_l("Fever today?"))
    conservative_care_weeks = IntegerField(_l("Weeks of conservative care so far"),
                                           validators=[Optional(), NumberRange(min=0, max=520)])
    recent_imaging = BooleanField(_l("Recent imaging (MRI or CT) available?"))
    physician = SelectField(_l("Physician"), validators=[Optional()])
    week = DateField(_l("Week of"), validators=[Optional()])
    override_reason = TextAreaField(_l("Override reason (physician only)"), validators=[Optional(), Length(max=1000)])
    medications = medications_field()

    def levels_list(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in (self.levels.data or "").split(",") if part.strip())

    def validate_levels(self, field) -> None:
        """Each level exists and belongs to the region chosen (the same rule as the booking service)."""
        region = self.region.data if self.region.data in REGION_LABELS else None
        wrong = [level for level in self.levels_list() if LEVEL.match(level) and level_problem(level, region)]
        if wrong:
            raise ValidationError(_l("%(levels)s: not a level of this region (C cervical, T thoracic, L lumbar, "
                                     "S sacral; C7-T1, T12-L1 and L5-S1 join two regions).", levels=", ".join(wrong)))

    def answers(self) -> dict:
        answers = {name: bool(getattr(self, name).data) for name in SCREENING_FIELDS if name != "conservative_care_weeks"}
        if self.conservative_care_weeks.data is not None:
            answers["conservative_care_weeks"] = self.conservative_care_weeks.data
        return answers


class RescheduleForm(FlaskForm):
    site = SelectField(_l("Site"), validators=[Optional()])
    physician = SelectField(_l("Physician"), validators=[Optional()])
    week = DateField(_l("Week of"), validators=[Optional()])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=500)])


class DayForm(FlaskForm):
    class Meta:
        csrf = False

    site = SelectField(_l("Site"))
    # Bounded: a day at the end of the calendar (9999-12-31) has no next day to end it.
    day = DateField(_l("Date"), validators=[Optional(), plausible_day])
