"""The catalog, read-only, for admins: procedures, blood-thinner holds, steroids and site policies,
each rule with its source and whether it is unconfirmed."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale

from clinic.access import requires
from clinic.catalog import load_procedures
from clinic.catalog.rules import (
    RISK_CLASSES,
    label,
    load_drugs,
    load_policies,
    load_steroids,
    steroid_source,
    validate_all,
)

validate_all()   # a broken rule file stops the app at start-up, not in the middle of a booking

bp = Blueprint("catalog", __name__, url_prefix="/admin/catalog")


@bp.route("/")
@requires("view_catalog")
def index():
    return render_template(
        "catalog/index.html",
        language=str(get_locale()),
        word=lambda kind, code: label(kind, code, str(get_locale())),
        procedures=list(load_procedures().values()),
        drugs=load_drugs(),
        risks=RISK_CLASSES[::-1],
        steroids=list(load_steroids().values()),
        steroid_source=steroid_source(),
        policies=list(load_policies().values()),
    )
