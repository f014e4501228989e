"""The patient form: format checks only; codes and dates are checked by the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, FieldList, FormField, SelectField, SelectMultipleField, StringField
from wtforms import Form as PlainForm
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.patients.models import ALLERGIES, CONDITIONS
from clinic.patients.services import DRUG_PATTERN

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


class PatientForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    birth_date = DateField(_l("Birth date"), validators=[DataRequired()])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    language = SelectField(_l("Language"), choices=[("fr", "Français"), ("en", "English")])
    # Where the patient is registered: their organisation. Choices are the user's sites (set by the view).
    location = SelectField(_l("Registered at"), choices=[], validate_choice=False)  # checked by the service
    sex = SelectField(_l("Sex"), default="unknown", choices=[
        ("unknown", _l("Not recorded")), ("female", _l("Female")), ("male", _l("Male")), ("other", _l("Other"))])
    conditions = MultiCheckboxField(_l("Conditions"), choices=[(c, CONDITION_LABELS[c]) for c in CONDITIONS])
    allergies = MultiCheckboxField(_l("Allergies"), choices=[(a, ALLERGY_LABELS[a]) for a in ALLERGIES])
    medications = FieldList(FormField(MedicationForm), min_entries=3, max_entries=20)
