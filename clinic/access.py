"""Who may do what: one table of named permissions to roles, and per-site access, for pages,
services, templates and the API.

A route says `@requires("check_in")`, a service asks `allows(user, "check_in")` and a template
`can("check_in")`: each reads PERMISSIONS, so a page never offers what its route refuses and never
hides what it allows. Every view carries an `access` attribute (the roles allowed, or PUBLIC) so
that the test suite can check every route of the URL map against every role.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Protocol

from flask import Flask, abort, g, request
from flask_login import current_user

from clinic.errors import is_api_request


class Role(enum.StrEnum):
    """A member of staff's role (stored as the `user_role` enum of users.role)."""

    FRONT_DESK = "front_desk"
    PHYSICIAN = "physician"
    NURSE = "nurse"
    ADMIN = "admin"


class Actor(Protocol):
    """What access asks of a user (clinic.accounts.models.User): their role and their sites."""

    @property
    def role(self) -> Role: ...

    def can_access_site(self, site_id: int) -> bool: ...

    def site_ids(self) -> set[int] | None: ...


PUBLIC = "public"
ALL_ROLES = tuple(Role)

_DESK, _DOCTOR, _NURSE, _ADMIN = Role.FRONT_DESK, Role.PHYSICIAN, Role.NURSE, Role.ADMIN

# The one table: each permission and the roles that hold it. Where a user may act (which sites,
# which organisation) is a separate question, answered by ensure_site and the tenancy layer.
PERMISSIONS: dict[str, tuple[Role, ...]] = {
    # the day's work, seen by every member of staff
    "view_schedule": ALL_ROLES,          # day list, appointment page, day board, preparation sheet
    "view_patients": ALL_ROLES,          # patient search and page
    # front desk
    "register_patient": (_DESK, _ADMIN),
    "edit_patient": (_DESK, _ADMIN),
    "book": (_DESK, _DOCTOR, _ADMIN),
    "reschedule": (_DESK, _DOCTOR, _ADMIN),
    "cancel": (_DESK, _DOCTOR, _ADMIN),
    "check_in": (_DESK, _NURSE, _ADMIN),
    "no_show": (_DESK, _ADMIN),          # mark a no-show, and undo it on the day
    "handle_requests": (_DESK, _ADMIN),  # patients' requests from their links, offered times
    "rearrange": (_DESK, _ADMIN),        # appointments to reschedule, a physician's week
    "waiting_list": (_DESK, _DOCTOR, _ADMIN),  # the waiting list, its freed times and offers (as booking)
    # the procedure day
    "open_case": (_DOCTOR, _NURSE, _ADMIN),  # the case with its checklist, the procedure report
    "record_checklist": (_DOCTOR, _NURSE),   # each item also names its roles in the checklist template
    "override_checklist": (_DOCTOR,),        # a value above a limit, a stop, early discharge, with a reason
    "override_screening": (_DOCTOR,),        # book despite a screening refusal, with a reason
    "my_day": (_DOCTOR,),
    # reports
    "read_outcomes": (_DOCTOR, _ADMIN),
    # administration
    "administer": (_ADMIN,),             # the administration home
    "manage_users": (_ADMIN,),           # users, passwords, API tokens
    "manage_sites": (_ADMIN,),           # sites, rooms, closures
    "manage_staffing": (_ADMIN,),        # physicians' hours and time off
    "manage_reminders": (_ADMIN,),       # the outbox, retries, delivery report
    "read_mail_folder": (_ADMIN,),       # messages written in development
    "view_catalog": (_ADMIN,),
    "view_audit": (_ADMIN,),
    "patient_privacy": (_ADMIN,),        # a patient's data export and erasure
    "merge_patients": (_ADMIN,),         # two records of one patient merged into one
    "api_docs_menu": (_ADMIN,),          # the API documentation in the menu (the page itself is public)
}


def roles_for(permission: str) -> tuple[Role, ...]:
    """The roles holding `permission`; an unknown name is a mistake in the code, said at once."""
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise LookupError(f"No permission named {permission!r} in clinic.access.PERMISSIONS") from None


def allows(user: Actor | None, permission: str) -> bool:
    """Whether the user's role holds `permission` (nobody signed in holds none)."""
    roles = roles_for(permission)
    return user is not None and user.role in roles


def can(permission: str) -> bool:
    """For templates: whether the person behind this request holds `permission`."""
    return allows(current_actor(), permission)


def _is_api() -> bool:
    return request.blueprint == "api" or is_api_request()


def current_actor() -> Any:
    """The user behind this request (a clinic.accounts.models.User, or None): the bearer token's on
    the API, the session's on pages."""
    if _is_api():
        return getattr(g, "api_user", None)
    return current_user if current_user.is_authenticated else None


def signed_in_actor() -> Any:
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


def requires(permission: str) -> Callable:
    """Allow the view to signed-in users whose role holds `permission` in the table."""
    roles = roles_for(permission)
    if not roles:
        raise LookupError(f"Permission {permission!r} is held by no role")
    decorate = roles_required(*roles)

    def decorator(view: Callable) -> Callable:
        wrapped = decorate(view)
        wrapped.permission = permission
        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    """Templates ask the table through `can("...")`."""
    app.jinja_env.globals["can"] = can


def public(view: Callable) -> Callable:
    """Mark a view as open to anyone (login page, patient links guarded by their own token)."""
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def ensure_site(site_id: int, user: Actor | None = None) -> None:
    """403 unless the user works at the site (an admin works everywhere)."""
    user = user or current_actor()
    if user is None or not user.can_access_site(site_id):
        abort(403)


def visible_site_ids(user: Actor | None = None) -> set[int] | None:
    user = user or current_actor()
    return None if user is None else user.site_ids()


def roles_of(names: Iterable[str]) -> tuple[Role, ...]:
    return tuple(Role(n) for n in names)
