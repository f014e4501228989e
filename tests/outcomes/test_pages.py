"""Outcome, safety and delivery pages: who may open them, what they show, bad input, the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


@pytest.fixture
def seeded(make_outcome, make_user, make_patient, paris, minnesota):
    doc = make_user("physician", sites=[paris], hours=False)
    us_doc = make_user("physician", sites=[minnesota], hours=False)
    p = make_patient(site=paris)
    make_outcome(paris, doc, p, "esi-interlaminar", scores={"before": 8, "after": 3, "day14": 2})
    make_outcome(paris, doc, p, "esi-interlaminar", scores={"before": 8, "day7": 6})
    make_outcome(paris, doc, p, "facet-joint", scores={"before": 7})
    make_outcome(minnesota, us_doc, make_patient(site=minnesota), "si-joint", scores={"before": 6, "day14": 1})
    return {"doc": doc, "paris": paris, "minnesota": minnesota}


def test_admin_sees_table_and_charts(client, login_as, seeded):
    """The report page has the table, both SVG charts with titles, whiskers, bands and a CSV link."""
    login_as("admin")
    html = client.get("/outcomes/", query_string=MARCH).get_data(as_text=True)
    assert 'class="chart-responders"' in html and 'class="chart-pain"' in html
    assert '<title id="chart-responders-title">Responder rate by procedure</title>' in html
    assert html.count('class="bar"') == 2  # esi (1 of 2) and si-joint (1 of 1); facet has no follow-up
    assert html.count('class="whisker"') == 6  # a line and two caps per bar
    assert html.count('class="band"') == 3  # published ranges of all three procedures
    assert "no follow-up" in html
    assert "Responders (%)" in html and "Pain score (0–10)" in html
    assert "/outcomes/report.csv?" in html
    assert "<script>" not in html and "style=" not in html


def test_physician_sees_only_own_sites(client, login, seeded):
    """A Paris physician's report leaves out the Minnesota case, and cannot pick the Minnesota site."""
    login(seeded["doc"])
    html = client.get("/outcomes/", query_string=MARCH).get_data(as_text=True)
    assert re.search(r'<tr class="total">\s*<th scope="row">All</th>\s*<td>3</td>', html)
    response = client.get("/outcomes/", query_string=MARCH | {"site": seeded["minnesota"].id})
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["front_desk", "nurse"])
def test_other_roles_are_refused(client, login_as, role):
    """Front desk and nurses do not see outcomes or safety."""
    login_as(role)
    assert client.get("/outcomes/").status_code == 403
    assert client.get("/outcomes/safety").status_code == 403
    assert client.get("/outcomes/delivery").status_code == 403


def test_delivery_is_admin_only(client, login_as):
    """Reminder delivery health is for admins only."""
    login_as("physician")
    assert client.get("/outcomes/delivery").status_code == 403


@pytest.mark.parametrize(
    "args",
    [
        {"date_from": "2026-03-31", "date_to": "2026-03-01"},
        {"date_from": "not-a-date", "date_to": "2026-03-01"},
        {"date_from": "2020-01-01", "date_to": "2026-03-01"},
        {"procedure": "<script>", **MARCH},
        {"group": "patient", **MARCH},
        {"physician": "abc", **MARCH},
        {"date_from": "", "date_to": ""},
    ],
)
def test_bad_filters_answer_422_not_500(client, login_as, args):
    """Impossible periods and unknown choices re-render the form with an error."""
    login_as("admin")
    paths = ("/outcomes/", "/outcomes/report.csv") if "group" in args else ("/outcomes/", "/outcomes/report.csv", "/outcomes/safety")
    for path in paths:
        response = client.get(path, query_string=args)
        assert response.status_code == 422, path
        assert 'class="error"' in response.get_data(as_text=True)


def test_defaults_without_arguments(client, login_as):
    """Opening a page without filters shows the last 90 days (or the delivery window) without error."""
    login_as("admin")
    html = client.get("/outcomes/").get_data(as_text=True)
    today = dt.datetime.now(dt.UTC).date()   # the page's default period is in UTC
    assert f'value="{(today - dt.timedelta(days=90)).isoformat()}"' in html
    assert "No completed procedure" in html or "chart-responders" in html
    assert client.get("/outcomes/delivery").status_code == 200
    assert client.get("/outcomes/safety").status_code == 200


def test_csv_download(client, login_as, seeded):
    """The CSV download is an attachment with the table's figures and a total line."""
    login_as("admin")
    response = client.get("/outcomes/report.csv", query_string=MARCH)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="outcomes_2026-03-01_2026-03-31.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["key"], r["cases"], r["responders"]) for r in rows] == [
        ("esi-interlaminar", "2", "1"), ("facet-joint", "1", "0"), ("si-joint", "1", "1"), ("all", "4", "2"),
    ]
    assert rows[0]["label"] == "Epidural steroid injection, interlaminar"


def test_report_in_french(client, make_user, login, seeded):
    """A French-speaking admin gets French labels and procedure names."""
    login(make_user("admin", language="fr"))
    html = client.get("/outcomes/", query_string=MARCH).get_data(as_text=True)
    assert "Résultats" in html and "Répondeurs (%)" in html
    assert "Infiltration épidurale de corticoïde, interlamaire" in html
