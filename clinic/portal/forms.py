"""Forms of the patient pages: format checks only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, SubmitField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class PainScoreForm(FlaskForm):
    score = IntegerField(_l("Your pain today, from 0 (none) to 10 (worst imaginable)"),
                         validators=[InputRequired(_l("Please give a score from 0 to 10.")),
                                     NumberRange(0, 10, _l("Please give a score from 0 to 10."))])
    note = TextAreaField(_l("What can you do again, or not yet? (optional)"),
                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send my answer"))


class CancelRequestForm(FlaskForm):
    note = TextAreaField(_l("Anything we should know? (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Ask to cancel"))


class OptOutForm(FlaskForm):
    submit = SubmitField(_l("Stop these messages"))


class ManageCancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[
        DataRequired(_l("Please tell us why you cancel.")), Length(max=500)])
    submit = SubmitField(_l("Cancel my appointment"))


class OtherTimeForm(FlaskForm):
    starts = SelectMultipleField(_l("Times that suit you (up to three)"), choices=[], validate_choice=True,
                                 option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False))
    note = TextAreaField(_l("Anything we should know? (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Ask for one of these times"))
