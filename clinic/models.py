"""The whole schema: every package's models, so that the metadata (and migrations) see every table."""

from __future__ import annotations

from importlib import import_module

import sqlalchemy as sa

MODEL_MODULES = (
    "clinic.accounts.models",
    "clinic.audit.models",
    "clinic.outcomes.models",
    "clinic.patients.models",
    "clinic.portal.models",
    "clinic.procedures.models",
    "clinic.reminders.models",
    "clinic.scheduling.models",
    "clinic.sites.models",
    "clinic.waitlist.models",
)


def metadata() -> sa.MetaData:
    """The metadata of every table, once each package's models are imported."""
    from clinic.extensions import db

    for name in MODEL_MODULES:
        import_module(name)
    return db.metadata
