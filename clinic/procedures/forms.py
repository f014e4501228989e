"""One small form per checklist item, typed by the item (format only; ranges are the service's)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from clinic.procedures.catalog import PAIN_SCALE, TEXT_MAX, Item

VITAL_FIELDS = (
    ("systolic", _l("Systolic (mmHg)")),
    ("diastolic", _l("Diastolic (mmHg)")),
    ("pulse", _l("Pulse (/min)")),
    ("spo2", _l("SpO2 (%)")),
)
YES_NO = [("true", _l("Yes")), ("false", _l("No"))]


class ItemFormBase(FlaskForm):
    override_reason = StringField(_l("Override reason"), validators=[Optional(), Length(max=500)])
    amendment_reason = StringField(_l("Amendment reason"), validators=[Optional(), Length(max=500)])


def _label(item: Item, language: str) -> str:
    text = item.text(language)
    return f"{text} ({item.unit})" if item.unit else text


def form_class(item: Item, language: str) -> type[ItemFormBase]:
    """A form class for this item: one typed field `value` (vitals: four fields)."""
    label = _label(item, language)
    attrs: dict[str, Any] = {}
    if item.type == "yes_no":
        attrs["value"] = RadioField(label, choices=YES_NO, validators=[InputRequired()])
    elif item.type == "number":
        kw = {"min": item.min, "max": item.max, "step": "any", "inputmode": "decimal"}
        attrs["value"] = FloatField(label, validators=[InputRequired()], render_kw=kw)
    elif item.type == "pain_score":
        attrs["value"] = IntegerField(label, validators=[InputRequired()], render_kw=dict(zip(("min", "max"), PAIN_SCALE, strict=True)))
    elif item.type == "choice":
        choices = [("", "—")] + [(c, item.choice_text(c, language)) for c in item.choices]
        attrs["value"] = SelectField(label, choices=choices, validators=[InputRequired()])
    elif item.type == "text":
        attrs["value"] = StringField(label, validators=[Length(max=TEXT_MAX)])
    else:
        for name, text in VITAL_FIELDS:
            attrs[name] = IntegerField(text, validators=[InputRequired()], render_kw={"inputmode": "numeric"})
    return type(f"ItemForm_{item.type}", (ItemFormBase,), attrs)


def initial(item: Item, value: Any) -> dict:
    """Form data from a stored value."""
    if value is None:
        return {}
    if item.type == "yes_no":
        return {"value": "true" if value else "false"}
    if item.type == "vitals":
        return dict(value)
    return {"value": value}


def make_form(item: Item, language: str, value: Any = None, formdata=None) -> ItemFormBase:
    cls = form_class(item, language)
    if formdata is not None:
        return cls(formdata=formdata, prefix=item.code)
    return cls(formdata=None, prefix=item.code, data=initial(item, value))


def value_of(item: Item, form: ItemFormBase) -> Any:
    """The typed value the service expects."""
    if item.type == "yes_no":
        return {"true": True, "false": False}.get(form.value.data)
    if item.type == "vitals":
        return {name: getattr(form, name).data for name, _text in VITAL_FIELDS}
    if item.type == "number":
        value = form.value.data
        return int(value) if value is not None and float(value).is_integer() else value
    if item.type == "text":
        return form.value.data or ""
    return form.value.data
