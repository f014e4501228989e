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


TODO_KEY = "clinic.navigation.todo"


@dataclass(frozen=True)
class Todo:
    """A line of the home page's to-do list: what needs doing, how many, and where to do it. Each
    package adds its own in its init_app; the counts are of the reader's sites (None: every site)."""

    name: str
    label: object
    permission: str                                  # who sees the line
    count: Callable[[set[int] | None], int]
    endpoint: str | None = None                      # where it is done, for those who may open it
    link_permission: str | None = None               # default: `permission`
    detail: Callable[[set[int] | None], str] | None = None
    order: int = 50


def add_todo(app: Flask, todo: Todo) -> None:
    app.extensions.setdefault(TODO_KEY, {})[todo.name] = todo


def todo_lines() -> list[dict]:
    """The reader's to-do lines, in order, each with its count (zero included: nothing to do is news)."""
    sites = visible_site_ids()
    lines = []
    for todo in sorted(current_app.extensions.get(TODO_KEY, {}).values(), key=lambda t: (t.order, t.name)):
        if not can(todo.permission):
            continue
        link = todo.endpoint is not None and can(todo.link_permission or todo.permission)
        lines.append({"name": todo.name, "label": todo.label, "count": todo.count(sites),
                      "url": url_for(todo.endpoint) if link and todo.endpoint else None,
                      "detail": todo.detail(sites) if todo.detail else ""})
    return lines


def register(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        def nav_items() -> list[dict]:
            return items_for(current_user.role) if current_user.is_authenticated else []

        return {"nav_items": nav_items, "role_label": lambda r: ROLE_LABELS.get(r, r), "menu_inline": MENU_INLINE,
                "todo_lines": todo_lines}
