"""The role-aware main menu. Each domain package adds its entries from its init_app, once per
endpoint however many apps are created."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clinic.access import roles_for


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


def register(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        def nav_items() -> list[dict]:
            return items_for(current_user.role) if current_user.is_authenticated else []

        return {"nav_items": nav_items, "role_label": lambda r: ROLE_LABELS.get(r, r), "menu_inline": MENU_INLINE}
