"""The outcome report computed from a known set of cases: every figure checked by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.outcomes import services, stats
from clinic.outcomes.models import PainMoment
from clinic.scheduling.models import AppointmentStatus

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
# Wilson 95% intervals from published tables: 3/4 -> 30.1%..95.4%, 4/5 -> 37.6%..96.4%.
CI_3_OF_4 = (0.3006, 0.9544)
CI_4_OF_5 = (0.3755, 0.9638)


@pytest.fixture
def cases(make_outcome, make_user, make_patient, paris, minnesota):
    """Six epidural cases and two facet cases in Paris, one SI-joint case in Minnesota, and noise."""
    doc = make_user("physician", sites=[paris], hours=False)
    us_doc = make_user("physician", sites=[minnesota], hours=False)
    p = make_patient(site=paris)   # a patient belongs to one organisation: another one in Minnesota
    us_patient = make_patient(site=minnesota)
    esi = [
        {"before": 8, "after": 3, "day14": 2},            # 75% relief: responder
        {"before": 8, "after": 4, "day7": 4},             # 50% at day 7 (no day 14): responder, on the boundary
        {"before": 10, "day7": 8, "day14": 3},            # day 14 wins over day 7: 70%, responder
        {"before": 5},                                     # no follow-up
        {"before": 0, "day14": 0},                         # followed up, not evaluable (no pain before)
        {"before": 4, "day14": 4},                         # 0%: not a responder
    ]
    for scores in esi:
        make_outcome(paris, doc, p, "esi-interlaminar", scores=scores)
    for _ in range(2):
        make_outcome(paris, doc, p, "facet-joint", scores={"before": 7, "after": 2})
    # 20:00 in Chicago on 31 March is 1 April in UTC: still in March locally.
    make_outcome(minnesota, us_doc, us_patient, "si-joint", day=dt.date(2026, 3, 31), time=dt.time(20),
              scores={"before": 6, "day14": 3})
    # 00:30 in Paris on 1 April is 31 March in UTC: outside March locally.
    make_outcome(paris, doc, p, "esi-interlaminar", day=dt.date(2026, 4, 1), time=dt.time(0, 30),
              scores={"before": 9, "day14": 0})
    make_outcome(paris, doc, p, "esi-interlaminar", scores={"before": 9, "day14": 0}, status=AppointmentStatus.CANCELLED)
    make_outcome(paris, doc, p, "esi-interlaminar", scores={"before": 9}, status=AppointmentStatus.NO_SHOW)
    return {"doc": doc, "us_doc": us_doc, "paris": paris, "minnesota": minnesota}


def _report(**kw) -> services.Report:
    return services.build_report(services.ReportFilter(*MARCH, **kw))


def test_every_figure_per_procedure(db, cases):
    """Counts, follow-up and responder rates, Wilson bounds, median relief and pain medians per procedure."""
    report = _report()
    assert [r.key for r in report.rows] == ["esi-interlaminar", "facet-joint", "si-joint"]
    esi = report.rows[0]
    assert (esi.cases, esi.followed_up, esi.evaluable, esi.responders) == (6, 5, 4, 3)
    assert esi.follow_up_rate == pytest.approx(5 / 6)
    assert esi.responder_rate == pytest.approx(0.75)
    assert esi.ci == pytest.approx(CI_3_OF_4, abs=1e-4)
    assert esi.median_relief_pct == pytest.approx(60.0)  # reliefs 0, 50, 70, 75
    assert esi.pain_medians == {
        PainMoment.BEFORE: 6.5, PainMoment.AFTER: 3.5, PainMoment.DAY7: 6.0, PainMoment.DAY14: 2.5,
    }
    assert (esi.published.low, esi.published.high) == (50, 70)
    assert "clinical-reference s6" in esi.published.source


def test_procedure_with_no_follow_up_gives_zeros_and_none(db, cases):
    """Facet cases without follow-up: counted, 0% followed up, no responder rate, no interval, no median."""
    facet = _report().rows[1]
    assert (facet.cases, facet.followed_up, facet.evaluable, facet.responders) == (2, 0, 0, 0)
    assert facet.follow_up_rate == 0
    assert facet.responder_rate is None and facet.ci is None and facet.median_relief_pct is None
    assert facet.pain_medians[PainMoment.AFTER] == 2 and facet.pain_medians[PainMoment.DAY14] is None
    assert (facet.published.low, facet.published.high) == (60, 80)


def test_totals_use_local_dates_of_each_site(db, cases):
    """The total counts the Chicago evening case of 31 March and not the Paris case of 1 April 00:30."""
    total = _report().total
    assert (total.cases, total.followed_up, total.evaluable, total.responders) == (9, 6, 5, 4)
    assert total.follow_up_rate == pytest.approx(6 / 9)
    assert total.responder_rate == pytest.approx(0.8)
    assert total.ci == pytest.approx(CI_4_OF_5, abs=1e-4)
    assert total.median_relief_pct == pytest.approx(50.0)  # 0, 50, 50, 70, 75


def test_empty_period_gives_zeros_without_error(db, cases):
    """A period without cases: no rows, zero counts, every rate and median None."""
    report = services.build_report(services.ReportFilter(dt.date(2025, 1, 1), dt.date(2025, 1, 31)))
    assert report.rows == []
    t = report.total
    assert (t.cases, t.followed_up, t.evaluable, t.responders) == (0, 0, 0, 0)
    assert t.follow_up_rate is None and t.responder_rate is None and t.ci is None and t.median_relief_pct is None
    assert set(t.pain_medians.values()) == {None}


def test_filtered_procedure_without_cases_still_has_its_row(db, cases):
    """Asking for a procedure nobody had gives its row with zero cases, not an error."""
    report = _report(procedure_code="rfa")
    assert [(r.key, r.cases, r.responder_rate) for r in report.rows] == [("rfa", 0, None)]
    assert report.rows[0].published is None


def test_filters_by_site_physician_and_visibility(db, cases):
    """Site, physician and the reader's own sites narrow the cases."""
    assert _report(site_id=cases["minnesota"].id).total.cases == 1
    assert _report(physician_id=cases["doc"].id).total.cases == 8
    assert _report(visible_site_ids=frozenset({cases["paris"].id})).total.cases == 8
    assert _report(visible_site_ids=frozenset()).total.cases == 0


def test_grouping_by_site_and_physician(db, cases):
    """Rows can be per site or per physician, keyed by id."""
    by_site = {r.key: r.cases for r in _report(group="site").rows}
    assert by_site == {str(cases["paris"].id): 8, str(cases["minnesota"].id): 1}
    by_doc = {r.key: r.responders for r in _report(group="physician").rows}
    assert by_doc == {str(cases["doc"].id): 3, str(cases["us_doc"].id): 1}


def test_reading_the_report_is_audited(db, cases):
    """Building the report leaves an audit event with the filters."""
    _report(site_id=cases["paris"].id)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "outcomes.report.view")).one()
    assert event.details["site_id"] == cases["paris"].id and event.details["cases"] == 8


def test_csv_has_every_figure(db, cases):
    """The CSV holds one line per procedure and a total line, with the same figures as the page."""
    report = _report()
    text = services.to_csv(services.csv_rows(report, {"esi-interlaminar": "ESI"}))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["key"] for r in rows] == ["esi-interlaminar", "facet-joint", "si-joint", "all"]
    esi, facet, _si, total = rows
    assert esi["label"] == "ESI" and esi["cases"] == "6" and esi["followed_up"] == "5"
    assert esi["follow_up_rate_pct"] == "83.3" and esi["responder_rate_pct"] == "75.0"
    assert (esi["ci95_low_pct"], esi["ci95_high_pct"]) == ("30.1", "95.4")
    assert esi["median_relief_pct"] == "60.0" and esi["median_before"] == "6.5" and esi["median_day14"] == "2.5"
    assert (esi["published_low_pct"], esi["published_high_pct"]) == ("50.0", "70.0")
    assert facet["responder_rate_pct"] == "" and facet["ci95_low_pct"] == "" and facet["follow_up_rate_pct"] == "0.0"
    assert total["group"] == "all" and total["cases"] == "9" and total["responder_rate_pct"] == "80.0"
    assert (total["ci95_low_pct"], total["ci95_high_pct"]) == ("37.6", "96.4")


def test_csv_cells_never_start_a_formula():
    """A text cell starting with '=' is quoted for spreadsheets; negative numbers are left alone."""
    assert services.safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert services.safe_cell("-12.5") == "-12.5"
    assert services.safe_cell("ok") == "ok"


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [(0, 10, (0.0, 0.2775)), (10, 10, (0.7225, 1.0)), (5, 10, (0.2366, 0.7634)), (1, 1, (0.2065, 1.0))],
)
def test_wilson_interval_matches_tables(k, n, expected):
    """Wilson bounds stay inside 0..1 and match published values at the edges and the middle."""
    assert stats.wilson(k, n, 1.959964) == pytest.approx(expected, abs=1e-4)


def test_statistics_of_nothing_are_none():
    """No division by zero: empty inputs give None."""
    assert stats.wilson(0, 0, 1.96) is None
    assert stats.rate(0, 0) is None
    assert stats.median([]) is None and stats.percentile([], 90) is None


def test_percentile_interpolates_between_ranks():
    """p90 of 1..10 is 9.1 (linear interpolation); one value is its own percentile."""
    assert stats.percentile(list(range(1, 11)), 90) == pytest.approx(9.1)
    assert stats.percentile([42.0], 90) == 42.0
    assert stats.percentile([3, 1, 2], 50) == 2
