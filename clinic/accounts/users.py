"""Users: list, change role and sites, deactivate (never delete), passwords, API tokens (creating a
user and issuing a token are in clinic.accounts.services)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from clinic.accounts import services as accounts
from clinic.accounts.models import ApiToken, Role, User
from clinic.audit.services import record
from clinic.db import utcnow
from clinic.errors import DomainError, ValidationFailed
from clinic.extensions import db
from clinic.names import name_problem
from clinic.sites.models import Site
from clinic.tenancy import scope_clause, scoped, user_visible

PER_PAGE = 25


def search_users(q: str = "", page: int = 1, per_page: int = PER_PAGE) -> tuple[list[User], int]:
    stmt = sa.select(User)
    scope = scope_clause(User)
    if scope is not None:
        stmt = stmt.where(scope)
    q = q.strip()
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(like), sa.func.lower(User.email).like(like)))
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
    page = max(1, page)
    users = db.session.execute(
        stmt.order_by(User.active.desc(), User.name, User.id).offset((page - 1) * per_page).limit(per_page)
    ).scalars()
    return list(users), total


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user_visible(user):
        raise DomainError("not_found", f"No user with id {user_id}.", status=404)
    return user


def sites_by_id(site_ids: Iterable[int]) -> list[Site]:
    ids = set(site_ids)
    sites = list(db.session.execute(scoped(Site).where(Site.id.in_(ids))).scalars()) if ids else []
    if len(sites) != len(ids):
        raise ValidationFailed({"sites": "Unknown site."})
    return sites


def update_user(user: User, actor: User, name: str, role: str, site_ids: Iterable[int],
                language: str | None) -> User:
    try:
        role_value = Role(role)
    except ValueError:
        raise ValidationFailed({"role": "Unknown role."}) from None
    if user.id == actor.id and role_value != Role.ADMIN:
        raise ValidationFailed({"role": "You cannot take away your own admin role."})
    sites = sites_by_id(site_ids)
    if role_value != Role.ADMIN and not sites:
        raise ValidationFailed({"sites": "Every user but an admin needs at least one site."})
    if not name.strip():
        raise ValidationFailed({"name": "A name is required."})
    if problem := name_problem(name):
        raise ValidationFailed({"name": problem})
    before: dict[str, Any] = {"name": user.name, "role": user.role.value, "sites": sorted(s.code for s in user.sites)}
    user.name, user.role, user.sites, user.language = name.strip(), role_value, sites, language or None
    db.session.flush()
    after = {"name": user.name, "role": user.role.value, "sites": sorted(s.code for s in sites)}
    record("user.update", "user", user.id, details={"before": before, "after": after})
    return user


def deactivate(user: User, actor: User) -> User:
    """The user can no longer sign in; their sessions end and their tokens answer 401 at once."""
    if user.id == actor.id:
        raise DomainError("self_deactivation", "You cannot deactivate your own account.")
    if user.active:
        user.active = False
        accounts.end_all_sessions(user)
        record("user.deactivate", "user", user.id, details={"email": user.email})
    return user


def reactivate(user: User) -> User:
    if not user.active:
        user.active = True
        db.session.flush()
        record("user.reactivate", "user", user.id, details={"email": user.email})
    return user


def reset_password(user: User, password: str) -> User:
    """A new password; the user's open sessions end and their API tokens are revoked."""
    try:
        accounts.check_password_rules(password)
    except DomainError as err:
        raise ValidationFailed({"password": err.message}) from err
    user.set_password(password)
    revoked = accounts.end_all_sessions(user)
    record("user.reset_password", "user", user.id, details={"tokens_revoked": revoked})
    return user


def tokens(user: User) -> list[ApiToken]:
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user.id)
    return list(db.session.execute(stmt.order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())).scalars())


def revoke_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise DomainError("not_found", "No such token for this user.", status=404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record("api_token.revoke", "user", user.id, details={"token": token.id, "prefix": token.prefix})
    return token


def all_sites() -> list[Site]:
    return list(db.session.execute(scoped(Site).order_by(Site.name)).scalars())
