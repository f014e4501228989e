"""The menu's groups: each package's entries land in the disclosure under their group's heading,
in the groups' order; the bar keeps at most MENU_INLINE entries within MENU_CHARS characters; a
group the menu does not know is refused when the entry is added."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from clinic import navigation


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_admins_pages_are_grouped_under_headings(app, language):
    with app.test_request_context("/"), force_locale(language):
        menu = navigation.menu_for("admin")
        headings = [str(h) for h, _entries in menu["sections"] if h is not None]
        assert headings == [str(g) for g in navigation.GROUPS.values()]
        grouped = {str(h): [e["url"] for e in entries] for h, entries in menu["sections"] if h is not None}
        assert grouped[str(navigation.GROUPS["setup"])][:3] == ["/admin/", "/admin/sites", "/admin/physicians"]
        assert "/admin/users" in grouped[str(navigation.GROUPS["people"])]
        assert "/audit/" in grouped[str(navigation.GROUPS["records"])]
        assert str(menu["label"]) == "Administration"
        bar = [str(e["label"]) for e in menu["bar"]]
        assert len(bar) <= navigation.MENU_INLINE
        assert sum(map(len, bar)) + len(str(menu["label"])) <= navigation.MENU_CHARS


@pytest.mark.parametrize("role", ["front_desk", "physician", "nurse"])
def test_other_roles_see_no_administration_page(app, role):
    with app.test_request_context("/"):
        menu = navigation.menu_for(role)
        headings = {h for h, _entries in menu["sections"]}
        admin_only = {navigation.GROUPS[k] for k in ("setup", "people", "records")}
        assert menu["bar"] and not headings & admin_only
        urls = [e["url"] for _h, entries in menu["sections"] for e in entries]
        assert not [u for u in urls if u.startswith(("/admin/sites", "/admin/users", "/audit"))]
        assert str(menu["label"]) == "More"


def test_an_unknown_group_is_refused():
    with pytest.raises(LookupError, match="No menu group"):
        navigation.add("accounts.home", "Home", "view_patients", group="elsewhere")
