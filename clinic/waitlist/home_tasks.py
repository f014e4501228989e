"""The home page's line of the waiting list: waiting patients for whom a time has freed up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from clinic.navigation import HomeTask
from clinic.waitlist.services import entries_with_offers


def _with_freed_time(site_ids: set[int] | None) -> tuple[int, str]:
    return len(entries_with_offers(site_ids)), ""


TASKS = (
    HomeTask(name="waiting_list", label=_l("Waiting patients have a freed slot"), permission="waiting_list",
             measure=_with_freed_time, endpoint="waitlist.freed", order=25),
)
