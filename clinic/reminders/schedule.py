"""The reminder schedule as data (clinic/catalog/data/reminders.toml), and local-clock arithmetic:
send times on the site's clock, moved out of the site's quiet hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from clinic.catalog import DATA
from clinic.catalog.bilingual import read
from clinic.timeutil import local_to_utc

PHASES = ("notice", "before", "after")
ANCHORS = ("start", "end", "medication_stop", "medication_restart", "medication_decision")
TIMED_ANCHORS = ("start", "end", "medication_stop", "medication_decision")   # placed on a day, at a time


@dataclass(frozen=True)
class Rule:
    kind: str
    phase: str
    essential: bool
    source: str
    anchor: str | None = None
    days: int = 0
    at: dt.time | None = None
    when: str | None = None
    min_lead_days: int | None = None
    not_before_end_minutes: int = 0
    subject: str = "upcoming"
    link: str | None = None
    moment: str | None = None
    red_flags: bool = False
    steroid: bool | None = None          # only after a procedure that gives (true) or not (false) a steroid
    procedures: tuple[str, ...] = ()     # only after these procedures
    except_procedures: tuple[str, ...] = ()
    after_start: bool = False            # a notice still true once the start has passed (a no-show's)

    @property
    def time_of_day(self) -> dt.time:
        """The local time of a reminder placed on a day (every such kind gives one: checked on load)."""
        if self.at is None:
            raise ValueError(f"reminder kind {self.kind}: no time of day")
        return self.at


def _parse_rule(kind: str, row: dict) -> Rule:
    if row.get("phase") not in PHASES:
        raise ValueError(f"reminder kind {kind}: unknown phase {row.get('phase')!r}")
    if row.get("anchor") is not None and row["anchor"] not in ANCHORS:
        raise ValueError(f"reminder kind {kind}: unknown anchor {row['anchor']!r}")
    if not row.get("source"):
        raise ValueError(f"reminder kind {kind}: a rule must name its source")
    if row.get("anchor") in TIMED_ANCHORS and not row.get("at"):
        raise ValueError(f"reminder kind {kind}: an {row['anchor']} reminder needs its time of day (at)")
    at = dt.time.fromisoformat(row["at"]) if row.get("at") else None
    lists = {k: tuple(row.get(k, ())) for k in ("procedures", "except_procedures")}
    return Rule(kind=kind, **{**{k: v for k, v in row.items() if k != "at"}, "at": at, **lists})


@cache
def load_data() -> dict:
    return read(DATA / "reminders.toml")


@cache
def rules() -> dict[str, Rule]:
    """Every reminder kind of the schedule by name, in file order."""
    return {kind: _parse_rule(kind, row) for kind, row in load_data()["kinds"].items()}


def rule(kind: str) -> Rule:
    return rules()[kind]


def is_essential(kind: str) -> bool:
    found = rules().get(kind)
    return True if found is None else found.essential


def in_quiet_hours(local: dt.datetime, quiet_start: dt.time, quiet_end: dt.time) -> bool:
    t = local.time().replace(tzinfo=None)
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= t < quiet_end
    return t >= quiet_start or t < quiet_end


def out_of_quiet_hours(instant: dt.datetime, tz: ZoneInfo, quiet_start: dt.time | None,
                       quiet_end: dt.time | None) -> dt.datetime:
    """The instant itself, or the end of the quiet hours it falls in (site's local clock)."""
    quiet_start = quiet_start or dt.time(21, 0)
    quiet_end = quiet_end or dt.time(8, 0)
    local = instant.astimezone(tz)
    if not in_quiet_hours(local, quiet_start, quiet_end):
        return instant
    day = local.date()
    if quiet_start > quiet_end and local.time() >= quiet_start:
        day += dt.timedelta(days=1)  # late evening: the quiet hours end tomorrow morning
    return local_to_utc(day, quiet_end, tz)


def local_at(anchor: dt.datetime, days: int, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """`at` on the site's clock, `days` calendar days from the anchor's local date, as UTC."""
    day = anchor.astimezone(tz).date() + dt.timedelta(days=days)
    return local_to_utc(day, at, tz)
