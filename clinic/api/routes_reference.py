"""Reference data: the caller's sites, the procedure catalog, physicians."""

from __future__ import annotations

from typing import Annotated, Literal, overload

import sqlalchemy as sa
from flask import jsonify
from flask_babel import get_locale

from clinic.access import current_actor, ensure_site, roles_required, signed_in_actor
from clinic.accounts.models import Role, User
from clinic.api.schema import ABSENT, Answer, Checked, OneOf, QueryArgs, operation
from clinic.api.serializers import physician_json, procedure_json, site_json
from clinic.api.views import bp
from clinic.catalog import load_procedures
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.scheduling import stamps
from clinic.scheduling.models import ScheduleStamp
from clinic.sites.models import Site

RISKS = Annotated[str, OneOf(("low", "intermediate", "high"))]


class Location(Answer):
    code: str
    name: str
    timezone: str
    country: str
    language: str
    address: str
    phone: str


class Locations(Answer):
    """Sites."""

    locations: list[Location]


class Procedure(Answer):
    code: str
    name: str
    duration_minutes: int
    imaging: list[str]
    contrast: bool
    steroid: bool
    bleeding_risk: RISKS
    bleeding_risk_cervical: RISKS = ABSENT
    regions: list[str] = ABSENT
    source: str = ABSENT


class Procedures(Answer):
    """Procedures."""

    procedures: list[Procedure]


class Physician(Answer):
    id: int
    name: str
    locations: list[str]


class Physicians(Answer):
    """Physicians."""

    physicians: list[Physician]


class PhysiciansQuery(QueryArgs):
    location: str | None = None


@overload
def site_by_code(code: str | None, required: Literal[True] = True) -> Site: ...
@overload
def site_by_code(code: str | None, required: bool) -> Site | None: ...
def site_by_code(code: str | None, required: bool = True) -> Site | None:
    """The site with this code, after checking the caller may see it (403 before 404 where both apply)."""
    if not code:
        if required:
            raise DomainError("invalid", "The location parameter is required.", {"location": "required"})
        return None
    user = current_actor()
    # A user who is not an administrator works at the sites read with their token: no statement.
    mine = None if user is None or user.is_admin else next((s for s in user.sites if s.code == code), None)
    site = mine or _site_with_stamps(code)
    if site is None:
        if user is not None and not user.is_admin:
            raise DomainError("forbidden", "You have no access to this location.", status=403)
        raise DomainError("not_found", f"No location with code {code!r}.", status=404)
    ensure_site(site.id)
    return site


def _site_with_stamps(code: str) -> Site | None:
    """The site, its stamps read in the same statement and noted (an availability answer or a
    booking at the site asks for them next)."""
    row = db.session.execute(sa.select(Site, ScheduleStamp.version, ScheduleStamp.reference_version)
                             .outerjoin(ScheduleStamp, ScheduleStamp.site_id == Site.id)
                             .where(Site.code == code)).first()
    if row is None:
        return None
    site, version, reference = row
    stamps.note(db.session, site.id, version or 0, reference or 0)
    return site


@bp.route("/v1/locations")
@roles_required()
@operation("The caller's sites (every site for an admin)", answer=Locations, errors=(401,))
def locations():
    user = signed_in_actor()
    stmt = sa.select(Site).where(Site.active.is_(True)).order_by(Site.name)
    ids = user.site_ids()
    if ids is not None:
        stmt = stmt.where(Site.id.in_(ids))
    return jsonify({"locations": [site_json(s) for s in db.session.execute(stmt).scalars()]})


@bp.route("/v1/procedures")
@roles_required()
@operation("The procedure catalog", answer=Procedures, errors=(401,))
def procedures():
    lang = str(get_locale())
    return jsonify({"procedures": [procedure_json(p, lang) for p in load_procedures().values()]})


@bp.route("/v1/physicians")
@roles_required()
@operation("Physicians, at one site or at the caller's sites", query=PhysiciansQuery, answer=Physicians,
           errors=(401, 403, 404, 422))
def physicians(args: Checked[PhysiciansQuery]):
    site = site_by_code(args.done().location, required=False)
    stmt = sa.select(User).where(User.role == Role.PHYSICIAN, User.active.is_(True)).order_by(User.name)
    if site is not None:
        stmt = stmt.where(User.sites.any(Site.id == site.id))
    else:
        ids = signed_in_actor().site_ids()
        if ids is not None:
            stmt = stmt.where(User.sites.any(Site.id.in_(ids)))
    return jsonify({"physicians": [physician_json(u) for u in db.session.execute(stmt).scalars()]})
