"""Administration forms: format checks only; the services check rules and bookings."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.labels import MODALITY_LABELS
from clinic.queryargs import plausible_day
from clinic.sites.models import MODALITIES

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))
LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]
ROLE_CHOICES = [("front_desk", _l("Front desk")), ("physician", _l("Physician")), ("nurse", _l("Nurse")),
                ("admin", _l("Admin"))]
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def parse_intervals(text: str | None) -> list[tuple[dt.time, dt.time]]:
    """'08:00-12:00, 13:00-17:00' -> [(08:00, 12:00), (13:00, 17:00)]; ValueError on bad format."""
    intervals = []
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        match = _INTERVAL.match(part)
        if not match:
            raise ValueError(part.strip())
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        end = dt.time.max.replace(microsecond=0) if (h2, m2) == (24, 0) else dt.time(h2, m2)
        intervals.append((dt.time(h1, m1), end))
    return intervals


def _intervals_format(form, field) -> None:
    try:
        parse_intervals(field.data)
    except ValueError as err:
        raise ValidationError(_("Write intervals as 08:00-12:00, 13:00-17:00 (not “%(part)s”).",
                                 part=str(err))) from None


class SiteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    mail_name = StringField(_l("Name in messages"), validators=[Optional(), Length(max=80)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    country = StringField(_l("Country (ISO code)"), validators=[DataRequired(), Length(min=2, max=2)])
    subdivision = StringField(_l("Subdivision (optional)"), validators=[Optional(), Length(max=10)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    policy = SelectField(_l("Site policy"), choices=[("fr", _l("France")), ("us", _l("United States"))])
    turnover_minutes = IntegerField(_l("Turnover between procedures (minutes)"), validators=[
        Optional(), NumberRange(0, 240)])
    horizon_days = IntegerField(_l("Booking horizon (days)"), validators=[DataRequired(), NumberRange(1, 730)])
    min_notice_hours = IntegerField(_l("Minimum notice (hours)"), validators=[Optional(), NumberRange(0, 720)])
    slot_interval_minutes = IntegerField(_l("Slot interval (minutes)"), validators=[DataRequired(), NumberRange(5, 120)])
    quiet_start = TimeField(_l("Quiet hours start"), validators=[DataRequired()])
    quiet_end = TimeField(_l("Quiet hours end"), validators=[DataRequired()])


class ExceptionForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired(), plausible_day])
    kind = SelectField(_l("Kind"), choices=[("closed", _l("Closed")), ("open", _l("Open on a public holiday"))])
    start_time = TimeField(_l("From (optional)"), validators=[Optional()])
    end_time = TimeField(_l("Until (optional)"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])
    confirm = BooleanField(_l("Confirm"))


class RoomForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    modalities = MultiCheckboxField(_l("Imaging"), choices=[(m, MODALITY_LABELS[m]) for m in MODALITIES])


class ScheduleForm(FlaskForm):
    site = SelectField(_l("Site"), coerce=int)
    valid_from = DateField(_l("Valid from"), validators=[DataRequired(), plausible_day])
    day0 = StringField(WEEKDAYS[0], validators=[Optional(), Length(max=200), _intervals_format])
    day1 = StringField(WEEKDAYS[1], validators=[Optional(), Length(max=200), _intervals_format])
    day2 = StringField(WEEKDAYS[2], validators=[Optional(), Length(max=200), _intervals_format])
    day3 = StringField(WEEKDAYS[3], validators=[Optional(), Length(max=200), _intervals_format])
    day4 = StringField(WEEKDAYS[4], validators=[Optional(), Length(max=200), _intervals_format])
    day5 = StringField(WEEKDAYS[5], validators=[Optional(), Length(max=200), _intervals_format])
    day6 = StringField(WEEKDAYS[6], validators=[Optional(), Length(max=200), _intervals_format])
    confirm = BooleanField(_l("Confirm"))

    def day_fields(self):
        return [getattr(self, f"day{i}") for i in range(7)]

    def pattern(self) -> dict[int, list[tuple[dt.time, dt.time]]]:
        return {i: parse_intervals(f.data) for i, f in enumerate(self.day_fields())}


class TimeOffForm(FlaskForm):
    site = SelectField(_l("Where"), coerce=int)
    start_date = DateField(_l("First day"), validators=[DataRequired(), plausible_day])
    end_date = DateField(_l("Last day"), validators=[DataRequired(), plausible_day])
    start_time = TimeField(_l("From (part of a day, optional)"), validators=[Optional()])
    end_time = TimeField(_l("Until (part of a day, optional)"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])
    confirm = BooleanField(_l("Confirm"))


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    sites = MultiCheckboxField(_l("Sites"), coerce=int)
    language = SelectField(_l("Language"), choices=[("", _l("Site's language")), *LANGUAGE_CHOICES])


class NewUserForm(UserForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField(_l("Repeat the new password"),
                           validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class TokenForm(FlaskForm):
    name = StringField(_l("Label"), validators=[DataRequired(), Length(max=80)])
