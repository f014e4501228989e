"""Merging two records of one patient (clinic.patients.merge): every reference to the duplicate
moves, found from the metadata; the audit log stays and is read from the kept record; refusals."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic import models
from clinic.audit.models import AuditEvent
from clinic.audit.queries import AuditFilter, merged_ids, merged_into, search
from clinic.audit.services import record
from clinic.outcomes.models import PainMoment, PainScore
from clinic.patients import merge
from clinic.patients.models import InjectionRecord, Patient
from clinic.patients.search import search_filter
from clinic.portal.models import PatientRequest
from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment
from clinic.text import fold
from tests import factories

DAY = dt.date(2026, 6, 10)


def _all_patient_fks() -> set[str]:
    """Every foreign key to patients.id in the whole schema, listed from the metadata."""
    return {f"{t.name}.{fk.parent.name}" for t in models.metadata().sorted_tables for fk in t.foreign_keys
            if fk.column.table.name == "patients" and fk.column.name == "id"}


def test_every_foreign_key_to_patients_is_handled():
    """Each reference to a patient is moved by a merge or left in place for a stated reason, none twice."""
    every = _all_patient_fks()
    moved = {merge.reference_key(c) for c in merge.moved_references(models.metadata())}
    kept = set(merge.left_in_place())
    assert moved | kept == every and not moved & kept
    assert kept == {"audit_events.patient_id"}
    assert {"appointments.patient_id", "injection_records.patient_id", "reminders.patient_id",
            "patient_requests.patient_id", "pain_scores.patient_id", "patient_medications.patient_id",
            "manage_links.patient_id"} <= moved


def test_a_table_added_later_is_moved_too():
    """A new table with a foreign key to patients is among the moved references without being named."""
    metadata = sa.MetaData()
    for table in models.metadata().sorted_tables:
        table.to_metadata(metadata)
    sa.Table("waiting_list_entries", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("patient_id", sa.ForeignKey("patients.id")))
    assert "waiting_list_entries.patient_id" in {merge.reference_key(c) for c in merge.moved_references(metadata)}


@pytest.fixture
def pair(db, paris, make_appointment):
    """Two records of one person at the Paris site, each with appointments and data of its own."""
    kept = factories.patient(site=paris, first_name="Hélène", last_name="Dupont", email="helene@example.org",
                             conditions=["diabetes"], medications=["apixaban"])
    duplicate = factories.patient(site=paris, first_name="Helene", last_name="Dupond", email="h.dupond@example.org",
                                  phone="+33612345678", sms_opt_in=True, allergies=["latex"],
                                  medications=["Apixaban", "metformin"])
    make_appointment(patient=kept, day=DAY, time=dt.time(9))
    coming = make_appointment(patient=duplicate, day=DAY, time=dt.time(14),
                              medication_holds=[{"drug": "apixaban", "action": "stop"}])
    past = make_appointment(patient=duplicate, day=dt.date(2026, 1, 5), status="completed")
    at = dt.datetime(2026, 6, 9, 7, tzinfo=dt.UTC)
    db.session.add_all([
        InjectionRecord(patient_id=duplicate.id, appointment_id=past.id, performed_on=dt.date(2026, 1, 5),
                        procedure_code="esi-transforaminal"),
        Reminder(appointment_id=coming.id, patient_id=duplicate.id, site_id=paris.id, kind="day_before",
                 send_at=at, next_attempt_at=at),
        PatientRequest(patient_id=duplicate.id, appointment_id=coming.id, kind="cancel"),
        PainScore(appointment_id=past.id, patient_id=duplicate.id, moment=PainMoment.BEFORE, score=7),
    ])
    db.session.flush()
    record("patient.read", "patient", duplicate.id, duplicate.id)
    db.session.commit()
    return kept, duplicate


def _count(db, model, patient_id) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.patient_id == patient_id))


def test_merge_moves_everything_and_is_audited(db, pair):
    """Appointments, history, messages, requests, pain scores and medicines move; the duplicate is a
    tombstone; the audit row names both records and the counts; the old events stay where they were."""
    kept, duplicate = pair
    kept_id, duplicate_id = kept.id, duplicate.id
    preview = merge.preview(kept, duplicate)
    assert preview.moved["appointments"] == 2 and preview.moved["patient_medications"] == 2 and preview.holds == 1
    assert set(preview.differing) == {"first_name", "last_name", "email", "phone"}
    old_events = _count(db, AuditEvent, duplicate_id)

    details = merge.merge_patients(kept, duplicate, ["email", "phone", "last_name"])
    db.session.commit()

    for model in (Appointment, InjectionRecord, Reminder, PatientRequest, PainScore):
        assert _count(db, model, duplicate_id) == 0
    assert _count(db, Appointment, kept_id) == 3 and _count(db, InjectionRecord, kept_id) == 1
    kept = db.session.get(Patient, kept_id)
    assert kept.email == "h.dupond@example.org" and kept.phone == "+33612345678" and kept.sms_opt_in
    assert kept.first_name == "Hélène" and kept.last_name == "Dupond"
    assert kept.search_name == fold("Hélène Dupond")
    assert kept.conditions == ["diabetes"] and kept.allergies == ["latex"]
    assert sorted(m.drug.casefold() for m in kept.medications) == ["apixaban", "metformin"]
    assert details["moved"]["appointments"] == 2 and details["fields_from_merged"] == ["last_name", "email", "phone"]

    tombstone = db.session.get(Patient, duplicate_id)
    assert tombstone.pseudonymised_at is not None and tombstone.email == f"merged-{duplicate_id}@invalid"
    assert tombstone.last_name == merge.MERGED_NAME and tombstone.phone == "" and tombstone.allergies == []
    assert _count(db, AuditEvent, duplicate_id) == old_events + 1        # nothing re-pointed, one row more
    merged = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "patient.merged")).one()
    assert (merged.patient_id, merged.object_id) == (kept_id, str(duplicate_id))
    assert merged.details["kept"] == kept_id and merged.details["merged"] == duplicate_id
    assert merged.organisation_id == kept.organisation_id
    assert merged_into(duplicate_id) == kept_id and merged_ids(kept_id) == {duplicate_id}
    events, _total = search(AuditFilter(patient_id=kept_id))
    assert {"patient.read", "patient.merged", "patient.merged_away"} <= {e.action for e in events}
    assert duplicate_id in {e.patient_id for e in events}
    # The search finds the person once, under the kept record.
    found = db.session.scalars(sa.select(Patient.id).where(search_filter("dupond", "en"))).all()
    assert found == [kept_id]


def test_merges_follow_one_another(db, paris):
    """A record merged into one that is merged in turn leads to the last; its events are read from there."""
    a, b, c = (factories.patient(site=paris) for _ in range(3))
    merge.merge_patients(b, a)
    merge.merge_patients(c, b)
    assert merged_into(a.id) == c.id and merged_ids(c.id) == {a.id, b.id}


def _refusal(kept, duplicate) -> merge.MergeRefused:
    with pytest.raises(merge.MergeRefused) as refused:
        merge.merge_patients(kept, duplicate)
    return refused.value


def test_a_record_is_not_merged_with_itself(db, paris):
    patient = factories.patient(site=paris)
    assert _refusal(patient, patient).code == "same_record"


def test_records_of_two_organisations_are_not_merged(db, paris, minnesota):
    refused = _refusal(factories.patient(site=paris), factories.patient(site=minnesota))
    assert (refused.code, refused.status) == ("other_organisation", 404)


def test_overlapping_active_appointments_are_named(db, paris, make_appointment):
    """Two active appointments at overlapping times: refused, and the pair is said; nothing moves."""
    kept, duplicate = factories.patient(site=paris), factories.patient(site=paris)
    a = make_appointment(patient=kept, day=DAY, time=dt.time(10))
    b = make_appointment(patient=duplicate, day=DAY, time=dt.time(10, 15))
    make_appointment(patient=duplicate, day=DAY, time=dt.time(11), status="cancelled")
    refused = _refusal(kept, duplicate)
    assert refused.code == "overlapping_appointments" and refused.details["appointments"] == [[a.id, b.id]]
    assert _count(db, Appointment, duplicate.id) == 2


def test_an_erased_or_merged_record_is_not_merged(db, paris):
    kept, erased = factories.patient(site=paris), factories.patient(site=paris)
    erased.pseudonymised_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert _refusal(kept, erased).code == "erased"
    other, gone = factories.patient(site=paris), factories.patient(site=paris)
    merge.merge_patients(other, gone)
    refused = _refusal(kept, gone)
    assert refused.code == "merged" and refused.details == {"patient": gone.id, "into": other.id}


def test_no_merge_without_the_schedule_guard(app, db, paris):
    """Fail closed: without the guard scheduling installs, overlaps could go unseen, so nothing is merged."""
    guard = app.extensions.pop(merge.KEY)
    try:
        with pytest.raises(merge.GuardMissing):
            merge.merge_patients(factories.patient(site=paris), factories.patient(site=paris))
    finally:
        app.extensions[merge.KEY] = guard


@pytest.mark.postgres
def test_on_postgresql_the_moved_appointments_keep_the_patient_constraint(db, pair):
    """The re-pointed appointments pass PostgreSQL's patient exclusion constraint (migration 0010), and
    the merge held both patients' booking locks (scheduling.locks) until it committed."""
    kept, duplicate = pair
    merge.merge_patients(kept, duplicate)
    held = db.session.scalar(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                     "AND pid = pg_backend_pid()"))
    assert held == 2
    db.session.commit()
    assert _count(db, Appointment, kept.id) == 3
