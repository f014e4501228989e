"""Safety view: complications (the 'complications' item code contract), overrides, steroid
outliers against the site limit, and radiation medians and 90th percentiles per procedure."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.outcomes import reference, safety
from clinic.outcomes.services import ReportFilter
from clinic.patients.models import InjectionRecord
from clinic.procedures.models import Checklist, ChecklistEntry

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def record_entries(db):
    def add(appt, user, entries: dict, override: dict | None = None):
        checklist = Checklist(appointment_id=appt.id, template_code="default")
        db.session.add(checklist)
        db.session.flush()
        rows = []
        for code, value in entries.items():
            row = ChecklistEntry(checklist_id=checklist.id, item_code=code, value=value, done=True,
                                 recorded_by_id=user.id, override_reason=(override or {}).get(code))
            db.session.add(row)
            rows.append(row)
        db.session.commit()
        return rows

    return add


@pytest.fixture
def world(make_outcome, make_user, make_patient, paris, record_entries, db):
    doc = make_user("physician", sites=[paris], hours=False, name="Dr Test")
    alice, bob = make_patient(first_name="Alice"), make_patient(first_name="Bob")
    a1 = make_outcome(paris, doc, alice, "esi-interlaminar", override_reason="INR 1.4 accepted", override_by_id=doc.id)
    a2 = make_outcome(paris, doc, bob, "esi-interlaminar")
    a3 = make_outcome(paris, doc, bob, "facet-joint")
    record_entries(a1, doc, {"complications": "vasovagal episode", "fluoroscopy_time_s": 10,
                             "dose_area_product": {"value": 100, "unit": "mGy.cm2"}})
    rows = record_entries(a2, doc, {"complications": "none", "fluoroscopy_time_s": 20, "dose_area_product": 300,
                                    "glucose": 9.1}, override={"glucose": "glucose 9.1 mmol/L, physician agrees"})
    record_entries(a3, doc, {"complications": "", "fluoroscopy_time_s": "30"})
    # An amended fluoroscopy time: only the newer value counts.
    old = ChecklistEntry(checklist_id=rows[0].checklist_id, item_code="fluoroscopy_time_s", value=999,
                         recorded_by_id=doc.id, superseded_by_id=rows[1].id)
    db.session.add(old)
    # Bob: 3 x 80 mg in the 12 months to 31 March 2026 (240 > 200); an older one does not count.
    for day in (dt.date(2025, 4, 1), dt.date(2025, 9, 1), dt.date(2026, 3, 10), dt.date(2025, 3, 31)):
        db.session.add(InjectionRecord(patient_id=bob.id, performed_on=day, procedure_code="esi-interlaminar",
                                       triamcinolone_eq_mg=80))
    db.session.add(InjectionRecord(patient_id=alice.id, performed_on=dt.date(2026, 3, 10),
                                   procedure_code="esi-interlaminar", triamcinolone_eq_mg=80))
    db.session.commit()
    return {"doc": doc, "alice": alice, "bob": bob, "paris": paris}


def test_complications_are_non_empty_entries_of_the_contract_code(db, world):
    """Only the 'vasovagal episode' entry is a complication; 'none' and '' are not."""
    view = safety.safety_view(ReportFilter(*MARCH))
    assert [(e.patient, e.text, e.who) for e in view.complications] == [
        (world["alice"].full_name, "vasovagal episode", "Dr Test")]


def test_overrides_of_bookings_and_checklist_items(db, world):
    """Both the appointment's override and the checklist entry's override are listed with reason and author."""
    view = safety.safety_view(ReportFilter(*MARCH))
    assert sorted((e.item, e.text, e.who) for e in view.overrides) == [
        ("appointment", "INR 1.4 accepted", "Dr Test"),
        ("glucose", "glucose 9.1 mmol/L, physician agrees", "Dr Test"),
    ]


def test_steroid_outliers_over_twelve_months(db, world):
    """Bob has 240 mg in the rolling 12 months (the 2025-03-31 dose is out), above the 200 mg default."""
    view = safety.safety_view(ReportFilter(*MARCH))
    assert [(o.patient_id, o.total_mg, o.limit_mg, o.injections) for o in view.outliers] == [
        (world["bob"].id, 240.0, 200.0, 3)]
    assert "clinical-reference s3" in view.outliers[0].limit_source


def test_radiation_median_and_p90_per_procedure(db, world):
    """Epidural: fluoroscopy 10 and 20 s (superseded 999 ignored), DAP 100 and 300; facet: 30 s."""
    view = safety.safety_view(ReportFilter(*MARCH))
    rad = {r.procedure_code: r for r in view.radiation}
    esi = rad["esi-interlaminar"]
    assert (esi.fluoro_n, esi.fluoro_median, esi.fluoro_p90) == (2, 15.0, pytest.approx(19.0))
    assert (esi.dap_n, esi.dap_median, esi.dap_p90) == (2, 200.0, pytest.approx(280.0))
    facet = rad["facet-joint"]
    assert (facet.fluoro_n, facet.fluoro_median, facet.fluoro_p90, facet.dap_n, facet.dap_median) == (1, 30.0, 30.0, 0, None)


def test_each_patient_shown_is_audited(db, world):
    """Alice (complication, override) and Bob (override, outlier) each get a read event."""
    safety.safety_view(ReportFilter(*MARCH))
    ids = set(db.session.scalars(sa.select(AuditEvent.patient_id).where(AuditEvent.action == "outcomes.safety.view")))
    assert {world["alice"].id, world["bob"].id} <= ids


def test_empty_period(db, world):
    """A period without appointments lists nothing and raises nothing."""
    view = safety.safety_view(ReportFilter(dt.date(2024, 1, 1), dt.date(2024, 1, 31)))
    assert (view.complications, view.overrides, view.outliers, view.radiation) == ([], [], [], [])


@pytest.mark.parametrize(
    ("value", "empty"),
    [(None, True), ("", True), ("  ", True), ("None.", True), ("aucune", True), ([], True), ({}, True),
     (False, True), ({"value": ""}, True), ("dural puncture", False), (["hematoma"], False),
     ({"text": "headache"}, False), (True, False)],
)
def test_empty_complication_values(value, empty):
    """The contract's notion of an empty complication value."""
    assert safety.is_empty_value(value) is empty


def test_site_limit_comes_from_the_site_policy(monkeypatch):
    """The yearly limit of the site's policy in policies.toml wins over the default."""
    from clinic.catalog import rules

    policy = rules.load_policies()["fr"]
    assert reference.steroid_limit("fr").mg == policy.steroid["max_triamcinolone_eq_mg_per_year"]
    monkeypatch.setitem(policy.steroid, "max_triamcinolone_eq_mg_per_year", 160)
    assert reference.steroid_limit("fr").mg == 160
    assert reference.steroid_limit("no-such-policy").mg == reference.load()["steroid_exposure"]["default_yearly_limit_mg"]


def test_safety_page(client, login, world):
    """The page shows the four sections to a physician of the site."""
    login(world["doc"])
    html = client.get("/outcomes/safety", query_string={"date_from": "2026-03-01", "date_to": "2026-03-31"}).get_data(as_text=True)
    assert "vasovagal episode" in html and "INR 1.4 accepted" in html
    assert "240" in html and "Radiation per procedure type" in html
