"""The role-aware main menu. Each domain package adds its entries from its init_app, once per
endpoint however many apps are created."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clinic.access import can, roles_for, visible_site_ids


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: tuple[str, ...]  # Role values (a Role is its value)
    description: object = ""
    order: int = 50


_ITEMS: list[NavItem] = []
# Menu entries shown in the bar; the others open from "More", so the bar holds one line on a
# 1024-pixel tablet in either language.
MENU_INLINE = 4

ROLE_LABELS = {
    "front_desk": _l("Front desk"),
    "physician": _l("Physician"),
    "nurse": _l("Nurse"),
    "admin": _l("Admin"),
}


def add(endpoint: str, label, permission: str, description="", order: int = 50) -> None:
    """A menu entry for the roles holding `permission` in clinic.access.PERMISSIONS."""
    if all(item.endpoint != endpoint for item in _ITEMS):
        _ITEMS.append(NavItem(endpoint, label, roles_for(permission), description, order))
        _ITEMS.sort(key=lambda i: i.order)


def items_for(role: str) -> list[dict]:
    return [
        {"url": url_for(i.endpoint), "label": i.label, "description": i.description}
        for i in _ITEMS
        if role in i.roles
    ]


HOME_TASKS = "clinic.navigation.home_tasks"


@dataclass(frozen=True)
class HomeTask:
    """A line of the home page's list of work: what needs doing, how many, and where to do it. Each
    package adds its own in its init_app; `measure` counts at the reader's sites (None: every site)
    and may add a breakdown ("2 booked · 1 checked in")."""

    name: str
    label: object
    permission: str                                  # who sees the line
    measure: Callable[[set[int] | None], tuple[int, str]]
    endpoint: str | None = None                      # where it is done, for those who may open it
    link_permission: str | None = None               # default: `permission`
    order: int = 50


def add_home_task(app: Flask, task: HomeTask) -> None:
    app.extensions.setdefault(HOME_TASKS, {})[task.name] = task


def home_tasks() -> list[dict]:
    """The reader's lines, in order, each with its count (zero included: nothing to do is news)."""
    sites = visible_site_ids()
    lines = []
    for task in sorted(current_app.extensions.get(HOME_TASKS, {}).values(), key=lambda t: (t.order, t.name)):
        if not can(task.permission):
            continue
        count, detail = task.measure(sites)
        link = task.endpoint is not None and can(task.link_permission or task.permission)
        lines.append({"name": task.name, "label": task.label, "count": count, "detail": detail,
                      "url": url_for(task.endpoint) if link and task.endpoint else None})
    return lines


def register(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        def nav_items() -> list[dict]:
            return items_for(current_user.role) if current_user.is_authenticated else []

        return {"nav_items": nav_items, "role_label": lambda r: ROLE_LABELS.get(r, r), "menu_inline": MENU_INLINE,
                "home_tasks": home_tasks}
