"""One way to declare who may use a route: roles and per-site access, for pages and the API.

Every view carries an `access` attribute (the roles allowed, or PUBLIC) so that the test suite can
check every route of the URL map against every role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import abort, g, request
from flask_login import current_user

from clinic.accounts.models import Role, User

PUBLIC = "public"
ALL_ROLES = tuple(Role)


def _is_api() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def current_actor() -> User | None:
    """The user behind this request: the bearer token's on the API, the session's on pages."""
    if _is_api():
        return getattr(g, "api_user", None)
    return current_user if current_user.is_authenticated else None


def signed_in_actor() -> User:
    """The user behind a request that `roles_required` let through; one without a user is refused (401)."""
    user = current_actor()
    if user is None:
        abort(401)
    return user


def roles_required(*roles: Role) -> Callable:
    """Allow the view to signed-in users with one of `roles` (every role when none is given)."""
    allowed = tuple(roles) or ALL_ROLES

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_actor()
            if user is None:
                if _is_api():
                    abort(401)
                from clinic.extensions import login_manager

                return login_manager.unauthorized()
            if user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = allowed  # type: ignore[attr-defined]
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view as open to anyone (login page, patient links guarded by their own token)."""
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def ensure_site(site_id: int, user: User | None = None) -> None:
    """403 unless the user works at the site (an admin works everywhere)."""
    user = user or current_actor()
    if user is None or not user.can_access_site(site_id):
        abort(403)


def visible_site_ids(user: User | None = None) -> set[int] | None:
    user = user or current_actor()
    return None if user is None else user.site_ids()


def roles_of(names: Iterable[str]) -> tuple[Role, ...]:
    return tuple(Role(n) for n in names)
