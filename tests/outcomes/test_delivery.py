"""Reminder delivery health: counts per local day of send_at and site, by outcome."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.outcomes.delivery import delivery_health
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.timeutil import local_to_utc


@pytest.fixture
def reminders(db, make_patient, paris, minnesota):
    p = make_patient()

    def add(site, day, time, status):
        at = local_to_utc(day, time, site.tz)
        db.session.add(Reminder(patient_id=p.id, site_id=site.id, kind="day_before", send_at=at,
                                next_attempt_at=at, status=status))

    d1, d2 = dt.date(2026, 3, 10), dt.date(2026, 3, 11)
    for status in (ReminderStatus.SENT, ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.CANCELLED):
        add(paris, d1, dt.time(9), status)
    add(paris, d1, dt.time(0, 30), ReminderStatus.RETRYING)  # 23:30 UTC on the 9th: still the 10th in Paris
    add(paris, d2, dt.time(9), ReminderStatus.PLANNED)
    add(paris, d2, dt.time(9), ReminderStatus.SENDING)
    add(minnesota, d1, dt.time(22), ReminderStatus.SENT)  # 04:00 UTC on the 11th: the 10th in Chicago
    add(minnesota, dt.date(2026, 3, 12), dt.time(9), ReminderStatus.SKIPPED)
    db.session.commit()
    return {"paris": paris, "minnesota": minnesota}


def test_counts_per_local_day_and_site(db, reminders):
    """Sent, pending (planned + sending), retrying, failed per (day, site); cancelled and skipped left out."""
    health = delivery_health(dt.date(2026, 3, 10), dt.date(2026, 3, 12))
    got = {(r.day.isoformat(), r.site): r.counts for r in health.rows}
    paris, mn = reminders["paris"].name, reminders["minnesota"].name
    assert got == {
        ("2026-03-10", paris): {"sent": 2, "pending": 0, "retrying": 1, "failed": 1},
        ("2026-03-10", mn): {"sent": 1, "pending": 0, "retrying": 0, "failed": 0},
        ("2026-03-11", paris): {"sent": 0, "pending": 2, "retrying": 0, "failed": 0},
    }
    assert health.per_day[dt.date(2026, 3, 10)] == {"sent": 3, "pending": 0, "retrying": 1, "failed": 1}
    assert health.totals == {"sent": 3, "pending": 2, "retrying": 1, "failed": 1}


def test_site_filter_and_empty_period(db, reminders):
    """One site only; a period without reminders is empty, not an error."""
    health = delivery_health(dt.date(2026, 3, 10), dt.date(2026, 3, 12), reminders["minnesota"].id)
    assert [r.counts["sent"] for r in health.rows] == [1]
    assert delivery_health(dt.date(2025, 1, 1), dt.date(2025, 1, 2)).rows == []


def test_delivery_page_has_table_and_chart(client, login_as, reminders):
    """The admin page shows the stacked chart (one rect per non-zero bucket) and the table."""
    login_as("admin")
    html = client.get("/outcomes/delivery", query_string={"date_from": "2026-03-10", "date_to": "2026-03-12"}).get_data(as_text=True)
    assert 'class="chart-delivery"' in html
    assert html.count('class="bar status-sent"') == 1 and html.count('class="bar status-failed"') == 1
    assert html.count('class="bar status-pending"') == 1
    assert "delivery-table" in html and "<title>Mar 10, 2026 · Failed: 1</title>" in html
