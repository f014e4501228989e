"""Helpers for screening tests: a booking context with the patient's steroid history loaded as the
booking services load it (appointment rows come from make_appointment)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.catalog import get_procedure
from clinic.scheduling.history import steroid_history
from clinic.screening.results import BookingContext


def local(site, *args) -> dt.datetime:
    """A UTC instant from a local wall-clock time at the site."""
    return dt.datetime(*args, tzinfo=site.tz).astimezone(dt.UTC)


@pytest.fixture
def make_ctx():
    def make(patient, site, procedure="esi-interlaminar", start=(2026, 6, 15, 9, 0), region="lumbar", **kw):
        proc = get_procedure(procedure)
        start_at = local(site, *start)
        kw.setdefault("now", start_at - dt.timedelta(days=30))   # booked a month ahead unless told
        if "history" not in kw:
            kw["history"] = steroid_history(patient, site, proc, start_at)
        return BookingContext(patient=patient, procedure=proc, site=site, start_at=start_at,
                              end_at=start_at + dt.timedelta(minutes=proc.duration_minutes), region=region, **kw)

    return make
