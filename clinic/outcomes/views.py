"""Outcome report, safety view and reminder delivery health pages, with the report's CSV export."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, render_template
from flask import request as flask_request
from flask_babel import get_locale
from flask_babel import gettext as _

from clinic.access import requires, signed_in_actor
from clinic.accounts.models import Role, User, user_sites
from clinic.catalog import load_procedures
from clinic.extensions import db
from clinic.outcomes import charts, delivery, reference, safety, services
from clinic.outcomes.forms import GROUP_CHOICES, DeliveryForm, PeriodForm, ReportForm, SafetyForm
from clinic.sites.models import Site

bp = Blueprint("outcomes", __name__, url_prefix="/outcomes")


def _sites() -> list[Site]:
    visible = signed_in_actor().site_ids()
    query = sa.select(Site).order_by(Site.name)
    if visible is not None:
        query = query.where(Site.id.in_(visible or {-1}))
    return list(db.session.scalars(query))


def _physicians(sites: list[Site]) -> list[User]:
    query = (
        sa.select(User).join(user_sites, user_sites.c.user_id == User.id)
        .where(User.role == Role.PHYSICIAN, user_sites.c.site_id.in_([s.id for s in sites] or [-1]))
        .distinct().order_by(User.name)
    )
    return list(db.session.scalars(query))


def _language() -> str:
    return str(get_locale())[:2]


def _report_form(cls: type[SafetyForm] = ReportForm) -> tuple[SafetyForm, dict[str, dict[str, str]]]:
    """The filter form with its choices, and the display names of sites, physicians, procedures."""
    form = cls(flask_request.args)
    sites = _sites()
    physicians = _physicians(sites)
    names = {
        "site": {str(s.id): s.name for s in sites},
        "physician": {str(u.id): u.name for u in physicians},
        "procedure": {code: p.label(_language()) for code, p in load_procedures().items()},
    }
    every = [("", _("All"))]
    form.site.choices = every + list(names["site"].items())
    form.physician.choices = every + list(names["physician"].items())
    form.procedure.choices = every + list(names["procedure"].items())
    return form, names


def _filters(form: PeriodForm, **extra) -> services.ReportFilter:
    visible = signed_in_actor().site_ids()
    return services.ReportFilter(
        date_from=form.date_from.data, date_to=form.date_to.data,
        site_id=int(form.site.data) if form.site.data else None,
        visible_site_ids=None if visible is None else frozenset(visible), **extra,
    )


def _report_filters(form: SafetyForm) -> services.ReportFilter:
    group = form.group.data if isinstance(form, ReportForm) else "procedure"
    return _filters(
        form, procedure_code=form.procedure.data or None,
        physician_id=int(form.physician.data) if form.physician.data else None, group=group,
    )


@bp.route("/")
@requires("read_outcomes")
def report():
    form, names = _report_form()
    if not form.validate():
        return render_template("outcomes/report.html", form=form, report=None), 422
    result = services.build_report(_report_filters(form))
    labels = names[result.filters.group]
    group_label = dict(GROUP_CHOICES)[result.filters.group]
    return render_template(
        "outcomes/report.html", form=form, report=result, labels=labels, group_label=group_label,
        language=_language(), threshold=reference.min_relief(),
        responder_chart=charts.responder_chart(result, labels, str(group_label)),
        pain_chart=charts.pain_chart(result),
    )


@bp.route("/report.csv")
@requires("read_outcomes")
def report_csv():
    form, names = _report_form()
    if not form.validate():
        return render_template("outcomes/report.html", form=form, report=None), 422
    result = services.build_report(_report_filters(form))
    body = services.to_csv(services.csv_rows(result, names[result.filters.group]))
    f = result.filters
    filename = f"outcomes_{f.date_from.isoformat()}_{f.date_to.isoformat()}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/safety")
@requires("read_outcomes")
def safety_view():
    form, names = _report_form(SafetyForm)
    if not form.validate():
        return render_template("outcomes/safety.html", form=form, view=None), 422
    view = safety.safety_view(_report_filters(form))
    return render_template("outcomes/safety.html", form=form, view=view, procedures=names["procedure"])


def _status_labels() -> dict[str, str]:
    return {"sent": _("Sent"), "pending": _("Pending"), "retrying": _("Retrying"), "failed": _("Failed")}


@bp.route("/delivery")
@requires("manage_reminders")
def delivery_view():
    form = DeliveryForm(flask_request.args)
    form.site.choices = [("", _("All"))] + [(str(s.id), s.name) for s in _sites()]
    if not form.validate():
        return render_template("outcomes/delivery.html", form=form, health=None), 422
    health = delivery.delivery_health(form.date_from.data, form.date_to.data,
                                      int(form.site.data) if form.site.data else None)
    labels = _status_labels()
    return render_template("outcomes/delivery.html", form=form, health=health, labels=labels,
                           chart=charts.delivery_chart(health.per_day, labels))
