"""Organisation scope, by construction: every load of a patient or of their data goes through here.

A user works for the organisations of their sites (an organisation's administrator for that
organisation); the deployment's administrator sees every organisation. Outside the caller's
organisations an object does not exist: `get_scoped_or_404` answers 404, never 403, so that
existence is not revealed. A request without a signed-in caller sees nothing; code outside any
request (the dispatcher, the command line) is the operator's and sees every organisation.

Every row holding patient data carries `organisation_id`; `fill_organisation` sets it on insert
from the row's patient, appointment, checklist, request or site, so no service has to remember.

This layer names no model: it reads what the models declare, from the mapper registry at run
time. A model is scoped by its `organisation_id` column, or by its own `organisation_clause(ids)`
(users, who belong to organisations through their sites); `organisation_given` says that a row's
organisation is set by the code that makes it (a patient's, a site's, a user's), never derived;
`organisation_anchor` names the relation whose organisation a row takes, which every other source
must agree with (an appointment's site); `patient_data_root` marks the patients, and every model
whose foreign keys lead to them holds patient data. Such a model without `organisation_id` is
refused: it cannot be scoped, and a row of it is never written.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from flask import abort, has_request_context
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

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


class Unscoped(TypeError):
    """A model that declares no organisation scope was asked to be scoped, or holds patient data
    without carrying its organisation."""


def scope_clause(model: Any, user: Any = None) -> sa.ColumnElement[bool] | None:
    """The condition that keeps `model`'s rows inside the caller's organisations (None: no limit)."""
    declared = getattr(model, "organisation_clause", None)
    if declared is None and not hasattr(model, "organisation_id"):
        raise Unscoped(f"{getattr(model, '__name__', model)!r} declares no organisation scope")
    ids = organisation_ids(user)
    if ids is None:
        return None
    return model.organisation_id.in_(ids or {-1}) if declared is None else declared(ids or {-1})


def scoped[M](model: type[M], user: Any = None) -> sa.Select:
    """`select(model)` limited to the caller's organisations."""
    stmt = sa.select(model)
    clause = scope_clause(model, user)
    return stmt if clause is None else stmt.where(clause)


class Owned(Protocol):
    """A row that belongs to one organisation."""

    @property
    def organisation_id(self) -> int: ...


def in_scope[S: sa.Select](stmt: S, *models: Any, sites: Any = None, site_ids: set[int] | None = None) -> S:
    """`stmt` kept inside the caller's organisations for each model it reads, and when `site_ids`
    is given (None: every site) to the rows whose `sites` column names one of them."""
    for model in models:
        scope = scope_clause(model)
        if scope is not None:
            stmt = stmt.where(scope)
    if sites is not None and site_ids is not None:
        stmt = stmt.where(sites.in_(site_ids or {-1}))
    return stmt


def get_scoped[M: Owned](model: type[M], object_id: int | None, user: Any = None,
                         options: Sequence[ORMOption] = ()) -> M | None:
    """The row with that id if the caller's organisations hold it, else None (`options`: what to
    load with it)."""
    if object_id is None:
        return None
    obj = db.session.get(model, object_id, options=options)
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


def user_visible(target: Any, user: Any = None) -> bool:
    """Whether the caller's organisations hold `target` (a user); the deployment's administrator
    is seen by no organisation's administrator."""
    ids = organisation_ids(user)
    if target is None or ids is None:
        return target is not None
    theirs = target.organisation_ids()
    return theirs is not None and bool(theirs & ids)


# ---------------------------------------------------------------- organisation_id on insert

# Where a new row takes its organisation from, in order: a related object, then a foreign key (whose
# target model is found in the mapper registry).
_SOURCES = (("patient", "patient_id"), ("appointment", "appointment_id"), ("checklist", "checklist_id"),
            ("request", "request_id"), ("site", "site_id"))


@functools.cache
def _target(model: Any, column: str) -> Any:
    """The mapped class that `model`'s foreign key `column` points at."""
    mapper: Any = sa.inspect(model)
    (key,) = mapper.local_table.c[column].foreign_keys
    return next(m.class_ for m in mapper.registry.mappers if m.local_table is key.column.table)


def _patient_tables(mappers: Any) -> set[sa.Table]:
    """The tables holding patient data: the patients' (`patient_data_root`), and every table whose
    foreign keys lead to one of them."""
    tables = {m.local_table for m in mappers if getattr(m.class_, "patient_data_root", False)}
    grown = True
    while grown:
        more = {m.local_table for m in mappers
                if any(fk.column.table in tables for fk in m.local_table.foreign_keys)} - tables
        tables |= more
        grown = bool(more)
    return tables


def unscoped_patient_data(registry: Any) -> list[type]:
    """The models of `registry` that hold patient data but carry no organisation (none, by design)."""
    tables = _patient_tables(registry.mappers)
    return [m.class_ for m in registry.mappers
            if m.local_table in tables and not hasattr(m.class_, "organisation_id")]


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
    for relation, column in _SOURCES:
        found = _own_organisation(obj.__dict__.get(relation))
        if found is not None:
            return found
        key = getattr(obj, column, None) if hasattr(type(obj), column) else None
        if key is not None:
            row = session.get(_target(obj.__class__, column), key)
            if row is not None:
                return row.organisation_id
    return None


def _anchor_organisation(session: Session, obj: Any) -> int | None:
    """The organisation of the row's anchor (`organisation_anchor`: an appointment's site)."""
    relation = type(obj).organisation_anchor
    column = f"{relation}_id"
    anchor = obj.__dict__.get(relation)
    key = getattr(obj, column)
    if anchor is None and key:
        anchor = session.get(_target(obj.__class__, column), key)
    return _own_organisation(anchor)


@functools.cache
def _holds_patient_data(model: Any) -> bool:
    mapper: Any = sa.inspect(model)
    return mapper.local_table in _patient_tables(mapper.registry.mappers)


def _refuse_unscoped(new: list[Any]) -> None:
    """Fail closed: a new row of patient data whose model carries no organisation is never written."""
    refused = sorted({type(o).__name__ for o in new
                      if not hasattr(type(o), "organisation_id") and _holds_patient_data(o.__class__)})
    if refused:
        raise Unscoped(f"{', '.join(refused)} hold patient data but carry no organisation_id")


def fill_organisation(session: Session, flush_context: Any = None, instances: Any = None) -> None:
    """Before each flush: each new row takes its organisation from what it hangs from; rows with an
    anchor first (appointments: the rest hang from them), rows whose organisation is given never."""
    _refuse_unscoped(list(session.new))
    new = [o for o in session.new
           if hasattr(type(o), "organisation_id") and not getattr(type(o), "organisation_given", False)]
    new.sort(key=lambda o: 1 if hasattr(type(o), "organisation_anchor") else 2)
    for obj in new:
        if hasattr(type(obj), "organisation_anchor"):
            anchor_org = _anchor_organisation(session, obj)
            other_org = _organisation_of(session, obj)
            if anchor_org is not None and other_org is not None and anchor_org != other_org:
                raise OrganisationMismatch("an appointment's site and patient belong to different organisations")
            if obj.organisation_id is None:
                obj.organisation_id = anchor_org or other_org
        elif obj.organisation_id is None:
            obj.organisation_id = _organisation_of(session, obj)


def init_app(_app) -> None:
    listen(Session, "before_flush", fill_organisation)
