"""Merging two records of one patient: everything that points at the duplicate moves to the kept
record, in the request's one transaction, and the merge is audited.

What points at a patient is read from the metadata (every foreign key to the patients' table), not
listed here, so a table added later moves with the rest. Only the audit log stays where it is: it is
append-only, and a patient's audit view reads the events of the records merged into theirs
(clinic.audit.queries.merged_ids). For the same reason the duplicate's row stays, as a tombstone:
its identity and contact data are removed (the person now has one record, whose export and erasure
cover them), and the log's "patient.merged_away" row says where it went.

What only scheduling knows (whether the two records have active appointments at overlapping times,
how many medicine holds the duplicate's appointments carry) is asked of the guard that scheduling
installs in its init_app; with none installed, no merge is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.sansio.app import App

from clinic.audit.models import AuditEvent
from clinic.audit.queries import MERGED, MERGED_AWAY, merged_into
from clinic.audit.services import record
from clinic.db import utcnow
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.patients.models import Patient

KEY = "clinic.patients.merge_guard"
MERGED_NAME = "Merged"
# The fields whose value the admin picks when the two records differ (the kept record's by default).
CHOSEN_FIELDS = ("first_name", "last_name", "birth_date", "email", "phone", "language", "sex")
# Kept from both records: a condition or an allergy on either is a fact about the patient.
UNITED_FIELDS = ("conditions", "allergies")


class GuardMissing(RuntimeError):
    """No merge guard is installed: overlapping appointments would go unseen."""


@dataclass(frozen=True)
class MergeGuard:
    # Pairs (kept's appointment, duplicate's appointment), both active, whose times overlap.
    overlaps: Callable[[int, int], list[tuple[Any, Any]]]
    # How many medicine holds the patient's active appointments carry.
    holds: Callable[[int], int]
    # Hold both patients' schedules until the transaction ends, so no booking slips in meanwhile.
    lock: Callable[[int, int], None]


def install(app: App, guard: MergeGuard) -> None:
    app.extensions[KEY] = guard


def _guard() -> MergeGuard:
    found = current_app.extensions.get(KEY)
    if found is None:
        raise GuardMissing(GuardMissing.__doc__)
    return found


class MergeRefused(DomainError):
    """A merge that cannot be made: `code` says why (same_record, other_organisation, merged, erased,
    overlapping_appointments)."""

    status = 409

    def __init__(self, code: str, message: str, details: dict | None = None, status: int | None = None,
                 overlaps: list[tuple[Any, Any]] | None = None):
        super().__init__(code, message, details, status)
        self.overlaps = overlaps or []


# ---------------------------------------------------------------- what points at a patient


def reference_key(column: sa.Column) -> str:
    return f"{column.table.name}.{column.name}"


def patient_references(metadata: sa.MetaData | None = None) -> list[sa.Column]:
    """Every column of the metadata that is a foreign key to the patients' id."""
    patients = Patient.__table__
    tables = (metadata or db.metadata).sorted_tables
    return sorted((fk.parent for table in tables for fk in table.foreign_keys
                   if fk.column.table.name == patients.name and fk.column.name == "id"), key=reference_key)


def left_in_place() -> dict[str, str]:
    """The references a merge leaves as they are (by table.column), and why."""
    return {reference_key(AuditEvent.__table__.c.patient_id):
            "the audit log is append-only; the kept record's audit view reads the merged record's events"}


def moved_references(metadata: sa.MetaData | None = None) -> list[sa.Column]:
    """The references a merge moves to the kept record: all but those left in place."""
    kept = left_in_place()
    return [c for c in patient_references(metadata) if reference_key(c) not in kept]


def counts(patient_id: int) -> dict[str, int]:
    """How many rows of each table point at the patient (tables with several such columns: each)."""
    found: dict[str, int] = {}
    for column in moved_references():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == patient_id)) or 0
        found[column.table.name] = found.get(column.table.name, 0) + n
    return found


# ---------------------------------------------------------------- the preview and the checks


@dataclass(frozen=True)
class Preview:
    kept: Patient
    duplicate: Patient
    moved: dict[str, int]                   # table name -> rows of the duplicate's that move
    holds: int                              # medicine holds on the duplicate's active appointments
    differing: tuple[str, ...]              # CHOSEN_FIELDS whose values differ
    added: dict[str, list[str]] = field(default_factory=dict)  # conditions, allergies only the duplicate has


def _value(patient: Patient, name: str) -> Any:
    value = getattr(patient, name)
    return value.strip().casefold() if isinstance(value, str) and name in ("first_name", "last_name", "email") \
        else value


def differing_fields(kept: Patient, duplicate: Patient) -> tuple[str, ...]:
    return tuple(n for n in CHOSEN_FIELDS if _value(kept, n) != _value(duplicate, n))


def check(kept: Patient, duplicate: Patient) -> None:
    """Refuse a merge that cannot be made (MergeRefused), in the order a person would want to hear it."""
    if kept.id == duplicate.id:
        raise MergeRefused("same_record", "A record cannot be merged with itself.", status=422)
    if kept.organisation_id != duplicate.organisation_id:
        # Another organisation's record does not exist for its administrator; nor for a merge.
        raise MergeRefused("other_organisation", "No such patient in this organisation.", status=404)
    for patient in (duplicate, kept):
        into = merged_into(patient.id)
        if into is not None:
            raise MergeRefused("merged", f"Record {patient.id} was already merged into record {into}.",
                               {"patient": patient.id, "into": into})
    for patient in (duplicate, kept):
        if patient.pseudonymised_at is not None:
            raise MergeRefused("erased", f"The data of record {patient.id} was erased: it cannot be merged.",
                               {"patient": patient.id})
    overlaps = _guard().overlaps(kept.id, duplicate.id)
    if overlaps:
        raise MergeRefused("overlapping_appointments",
                           "Both records have active appointments at overlapping times.",
                           {"appointments": [[a.id, b.id] for a, b in overlaps]}, overlaps=overlaps)


def preview(kept: Patient, duplicate: Patient) -> Preview:
    """What the merge would move and change; refused as the merge would be."""
    check(kept, duplicate)
    return Preview(kept=kept, duplicate=duplicate, moved=counts(duplicate.id), holds=_guard().holds(duplicate.id),
                   differing=differing_fields(kept, duplicate), added=_added(kept, duplicate))


def _added(kept: Patient, duplicate: Patient) -> dict[str, list[str]]:
    return {name: sorted(set(getattr(duplicate, name) or ()) - set(getattr(kept, name) or ())) for name in UNITED_FIELDS}


# ---------------------------------------------------------------- the merge


def _take(kept: Patient, duplicate: Patient, from_duplicate: Iterable[str]) -> list[str]:
    """The duplicate's values of the chosen fields that differ; the phone brings its text-message consent."""
    taken = [n for n in differing_fields(kept, duplicate) if n in set(from_duplicate)]
    for name in taken:
        setattr(kept, name, getattr(duplicate, name))
        if name == "phone":
            kept.sms_opt_in = duplicate.sms_opt_in
    for name in UNITED_FIELDS:
        setattr(kept, name, sorted(set(getattr(kept, name) or ()) | set(getattr(duplicate, name) or ())))
    kept.non_essential_opt_out = kept.non_essential_opt_out or duplicate.non_essential_opt_out
    return taken


def _repoint(kept_id: int, duplicate_id: int) -> dict[str, int]:
    """Every reference to the duplicate, moved to the kept record: one UPDATE per column."""
    moved: dict[str, int] = {}
    for column in moved_references():
        result = db.session.execute(sa.update(column.table).where(column == duplicate_id).values({column.name: kept_id}))
        moved[column.table.name] = moved.get(column.table.name, 0) + (result.rowcount or 0)  # type: ignore[attr-defined]
    return moved


def _drop_repeated_medicines(kept: Patient) -> None:
    """A medicine on both records is listed once (the kept record's line)."""
    seen: set[tuple[str, str]] = set()
    for medication in list(kept.medications):
        key = (medication.drug.strip().casefold(), (medication.indication or "").strip().casefold())
        if key in seen:
            kept.medications.remove(medication)
        seen.add(key)


def _tombstone(duplicate: Patient, now: dt.datetime) -> None:
    """The duplicate's row stays (the audit log names it) without the person's identity or contact."""
    duplicate.clear_identity(MERGED_NAME, f"merged-{duplicate.id}@invalid", now)
    duplicate.conditions = []
    duplicate.allergies = []


def merge_patients(kept: Patient, duplicate: Patient, from_duplicate: Iterable[str] = ()) -> dict[str, Any]:
    """Merge `duplicate` into `kept`: the chosen fields (CHOSEN_FIELDS named in `from_duplicate`) take
    the duplicate's value, conditions and allergies are united, every reference moves, the duplicate
    becomes a tombstone, and the log says so on both records. Returns what the audit row holds."""
    if kept.id != duplicate.id and kept.organisation_id == duplicate.organisation_id:
        _guard().lock(kept.id, duplicate.id)   # then every check is made again, inside the lock
    check(kept, duplicate)
    holds = _guard().holds(duplicate.id)
    taken = _take(kept, duplicate, from_duplicate)
    _tombstone(duplicate, utcnow())
    db.session.flush()
    moved = _repoint(kept.id, duplicate.id)
    # The rows moved under the session (everything is flushed): what it holds is read again.
    db.session.expire_all()
    _drop_repeated_medicines(kept)
    details = {"kept": kept.id, "merged": duplicate.id, "moved": moved, "holds": holds, "fields_from_merged": taken}
    record(MERGED, "patient", duplicate.id, kept.id, details)
    record(MERGED_AWAY, "patient", kept.id, duplicate.id, {"kept": kept.id, "merged": duplicate.id})
    db.session.flush()
    return details
