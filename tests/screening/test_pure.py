"""Screening is a pure function of its context: the patient's steroid history comes in the context,
nothing is read from the database while the rules run, and a steroid procedure screened without its
history is refused rather than taken for a patient with no earlier injection."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.catalog import get_procedure
from clinic.patients.models import Patient
from clinic.scheduling.history import steroid_history
from clinic.screening.exposure import HistoryNotLoaded
from clinic.screening.results import BookingContext, PastInjection
from clinic.screening.services import evaluate
from clinic.sites.models import Site

START = dt.datetime(2026, 6, 15, 7, 0, tzinfo=dt.UTC)   # 09:00 in Paris


def _site() -> Site:
    return Site(code="p", name="P", timezone="Europe/Paris", country="FR", policy="fr")


def _patient() -> Patient:
    return Patient(first_name="A", last_name="B", birth_date=dt.date(1970, 1, 1), email="a@b.example",
                   language="fr", conditions=[], allergies=[], medications=[])


def _ctx(history, procedure="esi-interlaminar", **kw) -> BookingContext:
    proc = get_procedure(procedure)
    return BookingContext(patient=_patient(), procedure=proc, site=_site(), start_at=START,
                          end_at=START + dt.timedelta(minutes=proc.duration_minutes), region="lumbar",
                          now=START - dt.timedelta(days=30), history=history, **kw)


def _sessions(result) -> int | None:
    found = next((f for f in result.warnings if f.code == "steroid_exposure"), None)
    return found.details["sessions"] if found else None


def _lumbar(month: int, **kw) -> PastInjection:
    kw.setdefault("steroid", "triamcinolone")
    kw.setdefault("dose_mg", 10.0)
    return PastInjection(dt.date(2026, month, 5), "esi-interlaminar", "lumbar", **kw)


def test_the_history_in_the_context_is_what_counts():
    """Four lumbar epidurals in the year and the new one make five (the limit is four); without a
    database, from values alone."""
    history = tuple(_lumbar(m) for m in (1, 2, 3, 4))
    assert _sessions(evaluate(_ctx(history[:3]))) is None
    assert _sessions(evaluate(_ctx(history))) == 5


def test_a_documented_appointment_counts_once_and_the_moved_one_not_at_all():
    """An appointment whose record is in the history counts through its record only; the appointment
    being rescheduled does not count against its new time."""
    records = tuple(_lumbar(m, appointment_id=m) for m in (1, 2, 3))
    booked = tuple(PastInjection(dt.date(2026, m, 5), "esi-interlaminar", "lumbar", appointment_id=m,
                                 recorded=False) for m in (1, 2, 3))
    assert _sessions(evaluate(_ctx(records + booked))) is None
    moving = PastInjection(dt.date(2026, 7, 1), "esi-interlaminar", "lumbar", appointment_id=40, recorded=False)
    assert _sessions(evaluate(_ctx((*records, moving)))) == 5
    assert _sessions(evaluate(_ctx((*records, moving), exclude_appointment_id=40))) is None


def test_a_steroid_procedure_without_its_history_is_refused():
    with pytest.raises(HistoryNotLoaded):
        evaluate(_ctx(None))
    assert _sessions(evaluate(_ctx(None, procedure="medial-branch-block"))) is None   # nothing to count


def test_screening_reads_nothing_from_the_database(db, make_patient, paris, make_appointment):
    """With the context built (the history loaded by the booking services' loader), the rules run
    without a single statement."""
    patient = make_patient(medications=["apixaban"], conditions=["diabetes"])
    make_appointment(paris, dt.date(2026, 9, 1), patient=patient, procedure_code="esi-interlaminar")
    procedure = get_procedure("esi-interlaminar")
    start = dt.datetime(2026, 6, 15, 9, 0, tzinfo=paris.tz).astimezone(dt.UTC)
    history = steroid_history(patient, paris, procedure, start)
    assert history is not None and len(history) == 1
    ctx = BookingContext(patient=patient, procedure=procedure, site=paris, start_at=start,
                         end_at=start + dt.timedelta(minutes=procedure.duration_minutes), region="lumbar",
                         now=start - dt.timedelta(days=30), history=history)
    assert [m.drug for m in patient.medications] == ["apixaban"]   # what the page has loaded
    statements: list[str] = []

    def seen(conn, cursor, statement, *rest) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = evaluate(ctx)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == []
    assert "anticoagulant_hold" in result.codes()
