"""Outcome report: cases, follow-up, responders and relief per procedure (or site, physician).

Definitions (shown on the report page as well):
- a case is a completed appointment whose local date (site's zone) lies in the period;
- its follow-up score is the day-14 pain score, else the day-7 one;
- follow-up rate = cases with a follow-up score / cases;
- a case is evaluable when it has a 'before' score above 0 and a follow-up score;
  relief = (before - follow-up) / before; a responder has relief >= the threshold of
  outcomes.toml (50%);
- responder rate = responders / evaluable cases, with a Wilson interval (95%);
- median relief (%) is over evaluable cases.
Nothing here divides by zero: an empty group answers 0 counts and None rates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from clinic.audit.services import record
from clinic.catalog import load_procedures
from clinic.extensions import db
from clinic.outcomes import reference, stats
from clinic.outcomes.models import PainMoment, PainScore
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.sites.models import Site
from clinic.timeutil import local_date

GROUPS = ("procedure", "site", "physician")
MOMENTS = tuple(PainMoment)


@dataclass(frozen=True)
class ReportFilter:
    date_from: dt.date
    date_to: dt.date
    site_id: int | None = None
    procedure_code: str | None = None
    physician_id: int | None = None
    group: str = "procedure"
    # The sites the reader may see (None: every site, for an admin).
    visible_site_ids: frozenset[int] | None = None

    def as_dict(self) -> dict:
        return {
            "date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(),
            "site_id": self.site_id, "procedure_code": self.procedure_code,
            "physician_id": self.physician_id, "group": self.group,
        }


@dataclass
class Case:
    appointment_id: int
    patient_id: int
    site_id: int
    physician_id: int
    procedure_code: str
    day: dt.date
    scores: dict[PainMoment, int] = field(default_factory=dict)

    @property
    def follow_up(self) -> int | None:
        day14 = self.scores.get(PainMoment.DAY14)
        return day14 if day14 is not None else self.scores.get(PainMoment.DAY7)

    @property
    def relief(self) -> float | None:
        """Fraction of relief from 'before' to the follow-up, or None when not evaluable."""
        before, after = self.scores.get(PainMoment.BEFORE), self.follow_up
        if before is None or after is None or before == 0:
            return None
        return (before - after) / before


@dataclass
class Row:
    key: str
    cases: int = 0
    followed_up: int = 0
    evaluable: int = 0
    responders: int = 0
    follow_up_rate: float | None = None
    responder_rate: float | None = None
    ci: tuple[float, float] | None = None
    median_relief_pct: float | None = None
    pain_medians: dict[PainMoment, float | None] = field(default_factory=dict)
    published: reference.PublishedRange | None = None


@dataclass
class Report:
    filters: ReportFilter
    rows: list[Row]
    total: Row



def filter_appointments(query, f):
    """Narrow an appointment query to the report's site, visible sites, procedure and physician."""
    if f.site_id is not None:
        query = query.where(Appointment.site_id == f.site_id)
    if f.visible_site_ids is not None:
        query = query.where(Appointment.site_id.in_(f.visible_site_ids or {-1}))
    if f.procedure_code:
        query = query.where(Appointment.procedure_code == f.procedure_code)
    if f.physician_id is not None:
        query = query.where(Appointment.physician_id == f.physician_id)
    return query

def _utc_window(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants wide enough to hold every local day of the period in any zone."""
    start = dt.datetime.combine(date_from - dt.timedelta(days=1), dt.time(0), dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=2), dt.time(0), dt.UTC)
    return start, end


def completed_cases(f: ReportFilter) -> list[Case]:
    """Completed appointments of the period (local dates) matching the filters, with their scores."""
    start, end = _utc_window(f.date_from, f.date_to)
    query = (
        sa.select(Appointment, Site.timezone)
        .join(Site, Site.id == Appointment.site_id)
        .where(Appointment.status == AppointmentStatus.COMPLETED)
        .where(Appointment.start_at >= start, Appointment.start_at < end)
        .order_by(Appointment.start_at, Appointment.id)
    )
    query = filter_appointments(query, f)
    cases: dict[int, Case] = {}
    for appt, tz in db.session.execute(query):
        day = local_date(appt.start_at, ZoneInfo(tz))
        if f.date_from <= day <= f.date_to:
            cases[appt.id] = Case(appt.id, appt.patient_id, appt.site_id, appt.physician_id, appt.procedure_code, day)
    _attach_scores(cases)
    return list(cases.values())


def _attach_scores(cases: dict[int, Case]) -> None:
    ids = list(cases)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        rows = db.session.execute(
            sa.select(PainScore.appointment_id, PainScore.moment, PainScore.score)
            .where(PainScore.appointment_id.in_(chunk))
        )
        for appointment_id, moment, score in rows:
            cases[appointment_id].scores[PainMoment(moment)] = score


def summarise(key: str, cases: Iterable[Case]) -> Row:
    """Every figure of one group of cases."""
    cases = list(cases)
    threshold = reference.min_relief()
    reliefs = [c.relief for c in cases if c.relief is not None]
    responders = sum(1 for r in reliefs if r >= threshold - 1e-9)
    row = Row(key=key, cases=len(cases), followed_up=sum(1 for c in cases if c.follow_up is not None),
              evaluable=len(reliefs), responders=responders)
    row.follow_up_rate = stats.rate(row.followed_up, row.cases)
    row.responder_rate = stats.rate(responders, row.evaluable)
    row.ci = stats.wilson(responders, row.evaluable, reference.z_value())
    row.median_relief_pct = stats.median([r * 100 for r in reliefs])
    row.pain_medians = {m: stats.median([c.scores[m] for c in cases if m in c.scores]) for m in MOMENTS}
    return row


def _group_key(group: str) -> Callable[[Case], str]:
    if group == "site":
        return lambda c: str(c.site_id)
    if group == "physician":
        return lambda c: str(c.physician_id)
    return lambda c: c.procedure_code


def build_report(f: ReportFilter) -> Report:
    """The report for the filters; the reading is audited (aggregates, no patient named)."""
    cases = completed_cases(f)
    groups: dict[str, list[Case]] = defaultdict(list)
    key_of = _group_key(f.group)
    for case in cases:
        groups[key_of(case)].append(case)
    if f.group == "procedure" and f.procedure_code:
        groups.setdefault(f.procedure_code, [])
    rows = [summarise(key, members) for key, members in groups.items()]
    if f.group == "procedure":
        order = {code: i for i, code in enumerate(load_procedures())}
        rows.sort(key=lambda r: (order.get(r.key, len(order)), r.key))
        for row in rows:
            row.published = reference.published(row.key)
    else:
        rows.sort(key=lambda r: r.key)
    record("outcomes.report.view", "outcomes_report", details=f.as_dict() | {"cases": len(cases)})
    return Report(filters=f, rows=rows, total=summarise("all", cases))


CSV_COLUMNS = [
    "group", "key", "label", "cases", "followed_up", "follow_up_rate_pct", "evaluable", "responders",
    "responder_rate_pct", "ci95_low_pct", "ci95_high_pct", "median_relief_pct",
    "median_before", "median_after", "median_day7", "median_day14",
    "published_low_pct", "published_high_pct", "published_source",
]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(report: Report, labels: dict[str, str]) -> Iterable[list[str]]:
    yield CSV_COLUMNS
    for row in [*report.rows, report.total]:
        pub = row.published
        group = "all" if row is report.total else report.filters.group
        yield [
            group, row.key, labels.get(row.key, row.key), str(row.cases), str(row.followed_up),
            _pct(row.follow_up_rate), str(row.evaluable), str(row.responders), _pct(row.responder_rate),
            _pct(row.ci[0] if row.ci else None), _pct(row.ci[1] if row.ci else None), _num(row.median_relief_pct),
            *(_num(row.pain_medians.get(m)) for m in MOMENTS),
            _num(pub.low if pub else None), _num(pub.high if pub else None), pub.source if pub else "",
        ]


def safe_cell(value: str) -> str:
    """A spreadsheet will not read this cell as a formula (numbers are left as they are)."""
    if value[:1] not in ("=", "+", "-", "@", "\t", "\r"):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def to_csv(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(str(v)) for v in row])
    return out.getvalue()
