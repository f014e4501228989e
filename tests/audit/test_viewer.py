"""The audit log viewer: admin only, filters, pages, a streamed CSV export, and its own reading audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from clinic.audit import queries
from clinic.audit.models import AuditEvent


@pytest.fixture
def events(db, make_user, make_patient):
    alice, bob = make_user("nurse"), make_user("front_desk")
    p1, p2 = make_patient(), make_patient()
    rows = [
        (alice, p1, "patient.read", dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)),
        (alice, p2, "patient.update", dt.datetime(2026, 3, 2, 23, 59, tzinfo=dt.UTC)),
        (bob, p1, "patient.read", dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC)),
        (bob, None, "login", dt.datetime(2026, 3, 4, 8, tzinfo=dt.UTC)),
        (alice, p1, "=cmd|' /C calc'!A0", dt.datetime(2026, 3, 5, 8, tzinfo=dt.UTC)),
    ]
    for user, patient, action, at in rows:
        db.session.add(AuditEvent(at=at, user_id=user.id, actor=user.email, action=action, object_type="patient",
                                  object_id=str(patient.id) if patient else None,
                                  patient_id=patient.id if patient else None, details={"k": "v"}))
    db.session.commit()
    return {"alice": alice, "bob": bob, "p1": p1, "p2": p2}


def _seeded_ids(db, f):
    """Event ids matching the filter among the fixture's rows (other tests' events are rolled back)."""
    found, _total = queries.search(f)
    return [(e.action, e.at.date().isoformat()) for e in found if e.object_type == "patient"]


def test_filters(db, events):
    """User, patient, action prefix and UTC date range each narrow the list; newest first."""
    alice, p1 = events["alice"], events["p1"]
    assert _seeded_ids(db, queries.AuditFilter(user_id=alice.id, patient_id=p1.id)) == [
        ("=cmd|' /C calc'!A0", "2026-03-05"), ("patient.read", "2026-03-01")]
    assert [a for a, _ in _seeded_ids(db, queries.AuditFilter(action="patient."))] == [
        "patient.read", "patient.update", "patient.read"]
    assert _seeded_ids(db, queries.AuditFilter(date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 2))) == [
        ("patient.update", "2026-03-02")]
    assert _seeded_ids(db, queries.AuditFilter(action="patient_")) == []  # '_' is not a wildcard


def test_pages(db, make_user):
    """Events come PER_PAGE at a time with the total count."""
    user = make_user("nurse")
    for i in range(queries.PER_PAGE + 5):
        db.session.add(AuditEvent(user_id=user.id, actor=user.email, action="paging.test", object_type="x",
                                  object_id=str(i)))
    db.session.commit()
    f = queries.AuditFilter(user_id=user.id)
    first, total = queries.search(f, 1)
    second, _ = queries.search(f, 2)
    assert total == queries.PER_PAGE + 5 and len(first) == queries.PER_PAGE and len(second) == 5
    assert not {e.id for e in first} & {e.id for e in second}


def test_page_lists_events_and_is_audited(client, login_as, events, db):
    """The admin page shows matching events; the reading is itself an audit event with the filters."""
    admin = login_as("admin")
    response = client.get("/audit/", query_string={"patient": events["p2"].id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<code>patient.update</code>" in html and "<code>patient.read</code>" not in html
    seen = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.view")).all()
    assert [(e.user_id, e.patient_id, e.details["patient_id"]) for e in seen] == [
        (admin.id, events["p2"].id, events["p2"].id)]


@pytest.mark.parametrize("role", ["front_desk", "nurse", "physician"])
def test_only_admins(client, login_as, role):
    """Other roles are refused the log and its export."""
    login_as(role)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


@pytest.mark.parametrize(
    "args",
    [{"patient": "abc"}, {"patient": "-3"}, {"date_from": "2026-13-01"}, {"user": "999999"},
     {"date_from": "2026-03-05", "date_to": "2026-03-01"}, {"action": "x" * 61}],
)
def test_bad_filters_answer_422(client, login_as, args):
    """Bad filter values re-render the form with an error, never a 500."""
    login_as("admin")
    for path in ("/audit/", "/audit/export.csv"):
        response = client.get(path, query_string=args)
        assert response.status_code == 422
        assert 'class="error"' in response.get_data(as_text=True)


def test_csv_export_is_streamed_filtered_and_safe(client, login_as, events, db, monkeypatch):
    """The export streams every matching event in batches, oldest first, with formula cells quoted."""
    monkeypatch.setattr(queries, "EXPORT_BATCH", 2)
    login_as("admin")
    response = client.get("/audit/export.csv", query_string={"user": events["alice"].id})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["patient.read", "patient.update", "'=cmd|' /C calc'!A0"]
    assert rows[0]["at_utc"] == "2026-03-01T10:00:00+00:00" and rows[0]["details"] == '{"k": "v"}'
    exported = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    assert exported.details["user_id"] == events["alice"].id


@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv"])
def test_a_patient_number_that_names_nobody_matches_nothing(client, login_as, events, db, path):
    """A filter on a patient number that names no patient answers the empty list (a fuzzer found a 500
    here: the reading's own audit row pointed at that missing patient); the number stays in its details."""
    login_as("admin")
    response = client.get(path, query_string={"patient": 999999})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    if path == "/audit/":
        assert "No event matches these filters." in body
    else:
        assert list(csv.DictReader(io.StringIO(body))) == []
    seen = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.in_(["audit.view", "audit.export"]))).one()
    assert (seen.patient_id, seen.details["patient_id"]) == (None, 999999)
