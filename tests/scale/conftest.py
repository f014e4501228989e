"""A scaled-out deployment in miniature: committed data on the one PostgreSQL test database, and two
app server processes (gunicorn, as bench/ serves the clinic) over it. Everything made is removed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from bench.common import Server, env_for
from clinic.accounts.models import ApiToken, Role, User
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.scheduling.models import WorkingHours
from clinic.sites.models import Organisation, Room, Site
from tests.cleanup import purge
from tests.clock import clock_env

PHYSICIANS = 3
ROOMS = 3
PATIENTS = 100


@pytest.fixture
def committed(app):
    """A Paris site with physicians (Mon-Fri 08:00-17:00) and fluoroscopy rooms, a front-desk user with
    an API token, and patients: committed for the servers to see, purged afterwards even on failure."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        organisation = Organisation(code=f"scale-{tag}", name="Test group", country="FR")
        site = Site(organisation=organisation, code=f"scale-{tag}", name="Scale", timezone="Europe/Paris", country="FR", language="fr",
                    policy="fr", address="1 rue de l'Echelle", phone="+33 1 00 00 00 00")
        site.rooms = [Room(name=f"Fluoro {n}", modalities=["fluoroscopy"]) for n in range(1, ROOMS + 1)]
        doctors = [User(email=f"doc{n}-{tag}@test.example", name=f"Doc {n}", role=Role.PHYSICIAN, sites=[site])
                   for n in range(1, PHYSICIANS + 1)]
        desk = User(email=f"desk-{tag}@test.example", name="Desk", role=Role.FRONT_DESK, sites=[site])
        for user in (*doctors, desk):
            user.set_password("x-long-password-1")
        patients = [Patient(organisation=organisation, first_name=f"Scale{n}", last_name=tag, birth_date=dt.date(1970, 1, 1),
                            email=f"scale{n}-{tag}@test.example", language=("fr", "en")[n % 2])
                    for n in range(PATIENTS)]
        db.session.add_all([site, *doctors, desk, *patients])
        db.session.flush()
        db.session.add_all(WorkingHours(physician_id=doc.id, site_id=site.id, weekday=d, start_time=dt.time(8),
                                        end_time=dt.time(17), valid_from=dt.date(2020, 1, 1))
                           for doc in doctors for d in range(5))
        token, raw = ApiToken.issue(desk, "scale")
        db.session.add(token)
        db.session.commit()
        ids = {"site": site.id, "code": site.code, "turnover": site.turnover_minutes,
               "physicians": [d.id for d in doctors], "desk": desk.id, "patients": [p.id for p in patients],
               "headers": {"Authorization": f"Bearer {raw}"}}
    try:
        yield ids
    finally:
        with app.app_context():
            purge(site_ids=[ids["site"]], user_ids=[*ids["physicians"], ids["desk"]], patient_ids=ids["patients"])


@pytest.fixture
def app_servers(database_url, tmp_path):
    """Two gunicorn servers of `wsgi:app` (production settings) on free loopback ports, one database;
    stopped (then killed if need be) at the end, even on failure."""
    env = clock_env(env_for(database_url, OUTBOX_DIR=str(tmp_path / "outbox")))
    servers: list[Server] = []
    try:
        for _ in range(2):
            servers.append(Server("wsgi:app", env))
        for server in servers:
            server.wait("/api/openapi.json", timeout=60)
        yield servers
    finally:
        for server in servers:
            server.stop()
