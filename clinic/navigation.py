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
    group: str | None = None   # a key of GROUPS: listed in the menu's disclosure under its heading


_ITEMS: list[NavItem] = []
# Menu entries shown in the bar; the others, and every grouped entry, open from one disclosure at
# the bar's end, so the bar holds one line on a 1024-pixel tablet in either language.
MENU_INLINE = 4
# ...and while their labels, with the disclosure's, add up to no more characters than this in the
# reader's language (the bar's width on that tablet, beside the language and sign-out tools).
MENU_CHARS = 52
# The disclosure's sections, in their order: the administration pages by what they are about.
GROUPS = {
    "setup": _l("Sites and schedules"),
    "people": _l("Staff"),
    "records": _l("Records and messages"),
    "reports": _l("Reports and reference"),
}

ROLE_LABELS = {
    "front_desk": _l("Front desk"),
    "physician": _l("Physician"),
    "nurse": _l("Nurse"),
    "admin": _l("Admin"),
}


def add(endpoint: str, label, permission: str, description="", order: int = 50, group: str | None = None) -> None:
    """A menu entry for the roles holding `permission` in clinic.access.PERMISSIONS; with a `group`
    (a key of GROUPS), in the menu's disclosure under that group's heading."""
    if group is not None and group not in GROUPS:
        raise LookupError(f"No menu group named {group!r} in clinic.navigation.GROUPS")
    if all(item.endpoint != endpoint for item in _ITEMS):
        _ITEMS.append(NavItem(endpoint, label, roles_for(permission), description, order, group))
        _ITEMS.sort(key=lambda i: i.order)


def _entry(item: NavItem) -> dict:
    return {"url": url_for(item.endpoint), "label": item.label, "description": item.description}


def items_for(role: str) -> list[dict]:
    return [_entry(i) for i in _ITEMS if role in i.roles]


def menu_for(role: str) -> dict:
    """The role's menu: the entries of the bar, then the disclosure's sections (a heading, or None
    for the bar's overflow, and its entries) and the disclosure's name."""
    mine = [i for i in _ITEMS if role in i.roles]
    loose = [i for i in mine if i.group is None]
    label = _l("Administration") if role in roles_for("administer") else _l("More")
    inline = _fitting(loose, 0)
    if inline < len(mine):              # a disclosure there will be: its name takes room in the bar
        inline = _fitting(loose, len(str(label)))
    sections: list[tuple[object, list[dict]]] = []
    if loose[inline:]:
        sections.append((None, [_entry(i) for i in loose[inline:]]))
    for key, heading in GROUPS.items():
        entries = [_entry(i) for i in mine if i.group == key]
        if entries:
            sections.append((heading, entries))
    return {"bar": [_entry(i) for i in loose[:inline]], "sections": sections, "label": label}


def _fitting(loose: list[NavItem], reserved: int) -> int:
    """How many of the loose entries the bar holds: at most MENU_INLINE, their labels within MENU_CHARS."""
    used, count = reserved, 0
    for item in loose[:MENU_INLINE]:
        used += len(str(item.label))
        if used > MENU_CHARS:
            break
        count += 1
    return count


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

        def nav_menu() -> dict:
            return menu_for(current_user.role) if current_user.is_authenticated else {"bar": [], "sections": []}

        return {"nav_items": nav_items, "nav_menu": nav_menu, "role_label": lambda r: ROLE_LABELS.get(r, r),
                "home_tasks": home_tasks}
