"""Forms of the accounts pages (format checks only; the services check the rules)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class ConfirmForm(FlaskForm):
    """An empty form: a POST with only the CSRF token (logout, language switch)."""

    submit = SubmitField(_l("Confirm"))
