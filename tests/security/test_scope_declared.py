"""The organisation scope reads what the models declare, and fails closed: a model whose foreign
keys lead to the patients but which carries no organisation can be neither scoped nor written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from clinic import tenancy
from clinic.accounts.models import User
from clinic.audit.models import AuditEvent
from clinic.extensions import Model
from clinic.patients.models import Patient
from clinic.portal.models import TimeOption
from clinic.procedures.models import ChecklistEntry
from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment, TimeOff
from clinic.sites.models import Room, Site


class _Base(DeclarativeBase):
    """A registry of its own: these models never reach the application's tables."""


class _Person(_Base):
    __tablename__ = "people"
    patient_data_root = True
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int]


class _Note(_Base):
    """Patient data (through its person) that forgot its organisation."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class _Tag(_Base):
    """Not patient data: nothing leads from it to a person."""

    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)


def test_every_model_holding_patient_data_carries_its_organisation(app):
    assert tenancy.unscoped_patient_data(Model.registry) == []
    for model in (Patient, Appointment, Reminder, ChecklistEntry, TimeOption, AuditEvent):
        assert tenancy._holds_patient_data(model), model
    for model in (Site, Room, TimeOff, User):
        assert not tenancy._holds_patient_data(model), model


def test_patient_data_without_an_organisation_is_refused():
    assert tenancy.unscoped_patient_data(_Base.registry) == [_Note]
    with pytest.raises(tenancy.Unscoped, match="_Note"):
        tenancy._refuse_unscoped([_Tag(), _Note(person_id=1)])
    tenancy._refuse_unscoped([_Tag(), _Person(organisation_id=1)])
    with pytest.raises(tenancy.Unscoped):
        tenancy.scope_clause(_Note, None)
    with pytest.raises(tenancy.Unscoped):
        tenancy.scoped(Room)


def test_the_scope_of_each_kind_of_model(app, db, paris, minnesota, make_user):
    nurse = make_user("nurse", sites=[paris])
    clause = tenancy.scope_clause(Reminder, nurse)
    assert str(clause) == str(Reminder.organisation_id.in_({paris.organisation_id}))
    users = tenancy.scope_clause(User, nurse)
    assert str(users) == str(User.organisation_clause({paris.organisation_id}))
    other = make_user("nurse", sites=[minnesota])
    seen = set(db.session.scalars(sa.select(User.id).where(users)))
    assert nurse.id in seen and other.id not in seen
