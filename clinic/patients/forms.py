"""The patient form: format checks only; codes and dates are checked by the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms import Form as PlainForm
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.labels import ALLERGY_LABELS, CONDITION_LABELS
from clinic.patients.emails import email_problem
from clinic.patients.models import ALLERGIES, CONDITIONS
from clinic.patients.phones import BadPhone, to_e164
from clinic.patients.services import DRUG_PATTERN
from clinic.queryargs import plausible_day


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MedicationForm(PlainForm):
    drug = StringField(
        _l("Medicine (brand or generic name)"),
        validators=[Optional(), Length(max=60),
                    Regexp(DRUG_PATTERN, message=_l("Letters, digits, spaces and . , / + ( ) ' % - only."))],
    )
    indication = StringField(_l("Indication"), validators=[Optional(), Length(max=60)])


def medications_field() -> FieldList:
    """The medicine rows of a form (the patient form, the booking form): free text with the
    vocabulary offered as a pick-list by the template (templates/patients/_medicines.html)."""
    return FieldList(FormField(MedicationForm), min_entries=3, max_entries=20)


def offer_empty_row(field: FieldList) -> None:
    """When every row shown holds a medicine, one empty row more to add another."""
    if len(field.entries) < field.max_entries and all(e.form.drug.data for e in field.entries):
        field.append_entry()


def rows_on_file(field: FieldList, medications) -> None:
    """Fill the rows with the medicines on file (PatientMedication rows), then empty rows."""
    field.entries, field.last_index = [], -1
    for medication in medications[: field.max_entries]:
        field.append_entry(medication)
    while len(field.entries) < field.min_entries:
        field.append_entry()
    offer_empty_row(field)


def rows_posted(field: FieldList, formdata) -> bool:
    """Whether the submitted form carried the medicine rows (a form without them changes no list)."""
    prefix = field.name + "-"
    return any(key.startswith(prefix) for key in formdata or ())


def medication_entries(field: FieldList) -> tuple[tuple[str, str | None], ...]:
    """The rows typed, as (medicine, indication) pairs: blank rows left out, spaces collapsed."""
    return tuple(
        (" ".join(m["drug"].split()), (m["indication"] or "").strip() or None)
        for m in field.data
        if m["drug"] and m["drug"].strip()
    )


class PatientForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    birth_date = DateField(_l("Birth date"), validators=[DataRequired(), plausible_day])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=40)],
                        description=_l("As dialled locally, or with the country code (+33, +1)."))
    sms_opt_in = BooleanField(_l("Send the day-before and medicine reminders by text message too"))
    language = SelectField(_l("Language"), choices=[("fr", "Français"), ("en", "English")])
    # Where the patient is registered: their organisation. Choices are the user's sites (set by the view).
    location = SelectField(_l("Registered at"), choices=[], validate_choice=False)  # checked by the service
    sex = SelectField(_l("Sex"), default="unknown", choices=[
        ("unknown", _l("Not recorded")), ("female", _l("Female")), ("male", _l("Male")), ("other", _l("Other"))])
    conditions = MultiCheckboxField(_l("Conditions"), choices=[(c, CONDITION_LABELS[c]) for c in CONDITIONS])
    allergies = MultiCheckboxField(_l("Allergies"), choices=[(a, ALLERGY_LABELS[a]) for a in ALLERGIES])
    medications = medications_field()
    # Shown once the registration was refused as a likely duplicate (the existing records listed).
    allow_duplicate = BooleanField(_l("This is a different person: register anyway"))

    region: str | None = None  # the registering site's country (set by the view)

    def validate_phone(self, field) -> None:
        if field.data and field.data.strip():
            try:
                to_e164(field.data, self.region)
            except BadPhone:
                raise ValidationError(_l("Not a valid phone number: type it as dialled locally, or with its "
                                         "country code (e.g. +33 6 12 34 56 78, +1 612 555 0142).")) from None

    def validate_email(self, field) -> None:
        problem = email_problem(field.data or "")
        if problem is not None:
            raise ValidationError(problem.message())

    def validate_sms_opt_in(self, field) -> None:
        if field.data and not (self.phone.data or "").strip():
            raise ValidationError(_l("Text messages need a phone number."))
