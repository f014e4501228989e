"""Filter forms of the outcome, safety and delivery pages (GET, no state change, so no CSRF)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import DataRequired, ValidationError

from clinic.db import utcnow
from clinic.queryargs import plausible_day

MAX_SPAN_DAYS = 3 * 366

GROUP_CHOICES = [("procedure", _l("Procedure")), ("site", _l("Site")), ("physician", _l("Physician"))]


def _today() -> dt.date:
    """Today in UTC: the report's default period is a month or more, so an hour's zone matters not."""
    return utcnow().date()


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[DataRequired(), plausible_day], default=lambda: _today() - dt.timedelta(days=90))
    date_to = DateField(lazy_pgettext("period", "To"), validators=[DataRequired(), plausible_day], default=_today)
    site = SelectField(_l("Site"), choices=[], default="")

    def validate_date_to(self, field) -> None:
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("The end of the period is before its start."))
            if (field.data - self.date_from.data).days > MAX_SPAN_DAYS:
                raise ValidationError(_l("The period may not exceed three years."))


class SafetyForm(PeriodForm):
    procedure = SelectField(_l("Procedure"), choices=[], default="")
    physician = SelectField(_l("Physician"), choices=[], default="")


class ReportForm(SafetyForm):
    group = SelectField(_l("Group by"), choices=GROUP_CHOICES, default="procedure")


class DeliveryForm(PeriodForm):
    """Two weeks back and one ahead by default: what went out, and what is waiting."""

    date_from = DateField(_l("From"), validators=[DataRequired(), plausible_day], default=lambda: _today() - dt.timedelta(days=13))
    date_to = DateField(lazy_pgettext("period", "To"), validators=[DataRequired(), plausible_day], default=lambda: _today() + dt.timedelta(days=7))
