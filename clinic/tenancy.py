"""Organisation scope, by construction: every load of a patient or of their data goes through here.

A user works for the organisations of their sites (an organisation's administrator for that
organisation); the deployment's administrator sees every organisation. Outside the caller's
organisations an object does not exist: `get_scoped_or_404` answers 404, never 403, so that
existence is not revealed. A request without a signed-in caller sees nothing; code outside any
request (the dispatcher, the command line) is the operator's and sees every organisation.

Every row holding patient data carries `organisation_id`; `fill_organisation` sets it on insert
from the row's patient, appointment, checklist, request or site, so no service has to remember.
"""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
from flask import abort, has_request_context
from sqlalchemy.orm import Session

from clinic.db import listen
from clinic.extensions import db


def organisation_ids(user: Any = None) -> set[int] | None:
    """The caller's organisations (None: every one). In a request without a signed-in caller:
    the empty set. Outside any request (the dispatcher, the command line, run by the operator):
    every organisation."""
    if user is None:
        if not has_request_context():
            return None
        from clinic.access import current_actor

        user = current_actor()
    if user is None:
        return set()
    return user.organisation_ids()


def scope_clause(model: Any, user: Any = None) -> sa.ColumnElement[bool] | None:
    """The condition that keeps `model`'s rows inside the caller's organisations (None: no limit)."""
    ids = organisation_ids(user)
    if ids is None:
        return None
    return model.organisation_id.in_(ids or {-1})


def scoped[M](model: type[M], user: Any = None) -> sa.Select:
    """`select(model)` limited to the caller's organisations."""
    stmt = sa.select(model)
    clause = scope_clause(model, user)
    return stmt if clause is None else stmt.where(clause)


class Owned(Protocol):
    """A row that belongs to one organisation."""

    @property
    def organisation_id(self) -> int: ...


def get_scoped[M: Owned](model: type[M], object_id: int | None, user: Any = None) -> M | None:
    """The row with that id if the caller's organisations hold it, else None."""
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None:
        return None
    ids = organisation_ids(user)
    return obj if ids is None or obj.organisation_id in ids else None


def get_scoped_or_404[M: Owned](model: type[M], object_id: int | None, user: Any = None) -> M:
    obj = get_scoped(model, object_id, user)
    if obj is None:
        abort(404)
    return obj


def visible(obj: Any, user: Any = None) -> bool:
    ids = organisation_ids(user)
    return obj is not None and (ids is None or obj.organisation_id in ids)


def user_clause(user: Any = None) -> sa.ColumnElement[bool] | None:
    """Users of the caller's organisations: working at one of its sites, or administering it."""
    from clinic.accounts.models import User, user_sites
    from clinic.sites.models import Site

    ids = organisation_ids(user)
    if ids is None:
        return None
    at_site = sa.select(user_sites.c.user_id).join(Site, Site.id == user_sites.c.site_id).where(
        Site.organisation_id.in_(ids or {-1}))
    return sa.or_(User.id.in_(at_site), User.organisation_id.in_(ids or {-1}))


def user_visible(target: Any, user: Any = None) -> bool:
    """Whether the caller's organisations hold `target` (a user); the deployment's administrator
    is seen by no organisation's administrator."""
    ids = organisation_ids(user)
    if target is None or ids is None:
        return target is not None
    theirs = target.organisation_ids()
    return theirs is not None and bool(theirs & ids)


# ---------------------------------------------------------------- organisation_id on insert

# Where a new row takes its organisation from, in order: a related object, then a foreign key.
_SOURCES = (("patient", "patient_id", "clinic.patients.models:Patient"),
            ("appointment", "appointment_id", "clinic.scheduling.models:Appointment"),
            ("checklist", "checklist_id", "clinic.procedures.models:Checklist"),
            ("request", "request_id", "clinic.portal.models:PatientRequest"),
            ("site", "site_id", "clinic.sites.models:Site"))


def _model(path: str) -> Any:
    from importlib import import_module

    module, name = path.split(":")
    return getattr(import_module(module), name)


class OrganisationMismatch(ValueError):
    """A row would join data of two organisations (a patient of one booked at a site of another)."""


def _own_organisation(obj: Any) -> int | None:
    """The row's organisation id, or that of its `organisation` object when only that is set yet."""
    if obj is None:
        return None
    if getattr(obj, "organisation_id", None) is not None:
        return obj.organisation_id
    organisation = obj.__dict__.get("organisation")
    return None if organisation is None else organisation.id


def _organisation_of(session: Session, obj: Any) -> int | None:
    for relation, column, model in _SOURCES:
        found = _own_organisation(obj.__dict__.get(relation))
        if found is not None:
            return found
        key = getattr(obj, column, None) if hasattr(type(obj), column) else None
        if key is not None:
            row = session.get(_model(model), key)
            if row is not None:
                return row.organisation_id
    return None


def _site_organisation(session: Session, obj: Any) -> int | None:
    site = obj.__dict__.get("site") or (session.get(_model(_SOURCES[-1][2]), obj.site_id) if obj.site_id else None)
    return _own_organisation(site)


# Rows whose organisation is given, never derived (a patient's is where they were registered).
_GIVEN = {"Patient", "User", "Site"}


def fill_organisation(session: Session, flush_context: Any = None, instances: Any = None) -> None:
    from clinic.patients.models import Patient
    from clinic.scheduling.models import Appointment

    new = [o for o in session.new if hasattr(type(o), "organisation_id") and type(o).__name__ not in _GIVEN]
    # Patients first (their organisation is given), then appointments, then what hangs from them.
    new.sort(key=lambda o: 0 if isinstance(o, Patient) else 1 if isinstance(o, Appointment) else 2)
    for obj in new:
        if isinstance(obj, Appointment):
            site_org = _site_organisation(session, obj)
            patient_org = _organisation_of(session, obj)
            if site_org is not None and patient_org is not None and site_org != patient_org:
                raise OrganisationMismatch("an appointment's site and patient belong to different organisations")
            if obj.organisation_id is None:
                obj.organisation_id = site_org or patient_org
        elif obj.organisation_id is None:
            obj.organisation_id = _organisation_of(session, obj)


def init_app(_app) -> None:
    listen(Session, "before_flush", fill_organisation)
