"""Shared fixtures: one migrated database per run, a rolled-back transaction per test,
factories (tests/factories.py) for sites, users, patients and appointments, and helpers to sign in and call the API.

SQLite (a file) by default; PostgreSQL when CLINIC_TEST_DATABASE_URL is set (make test sets it
from TEST_DATABASE_URL for its second pass).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from clinic import create_app
from clinic.accounts.models import ApiToken
from clinic.db import utcnow
from clinic.extensions import db as _db
from clinic.scheduling import stamps
from clinic.scheduling.models import AppointmentStatus
from tests import factories, smtp
from tests.checklists import answer
from tests.clock import fixed_instant
from tests.factories import PASSWORD
from tests.web import FreshGClient, csrf_token

# Whatever this run starts (the app, a `flask` subprocess that inherits the environment) is a test one.
os.environ["CLINIC_ENV"] = "testing"


TEST_NOW = fixed_instant()
_RUN_CLOCK: list[time_machine.travel] = []


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (CLINIC_TEST_DATABASE_URL)")
    config.addinivalue_line("markers", "browser: drives Debian's Chromium through Playwright")
    config.addinivalue_line("markers", "fuzz: generated-input runs")
    # From collection on, nothing reads the wall clock: modules, session fixtures (the migrated
    # database, the browser tests' seeded server) and tests all start from TEST_NOW.
    traveller = time_machine.travel(TEST_NOW, tick=True)
    traveller.start()
    _RUN_CLOCK.append(traveller)


def pytest_unconfigure(config):
    while _RUN_CLOCK:
        _RUN_CLOCK.pop().stop()


def pytest_report_header(config):
    return f"clock: every test starts at {TEST_NOW.isoformat()} (CLINIC_TEST_NOW moves it) and ticks"


@pytest.fixture(autouse=True)
def fixed_clock():
    """Every test starts at TEST_NOW and its clock ticks; a test that travels elsewhere
    (time_machine.travel, the time_machine fixture) overrides it for as long as it says."""
    with time_machine.travel(TEST_NOW, tick=True) as traveller:
        yield traveller


def is_postgres_url(url: str) -> bool:
    return url.startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped, with the reason, when the run is on SQLite."""
    if is_postgres_url(os.environ.get("CLINIC_TEST_DATABASE_URL", "")):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set CLINIC_TEST_DATABASE_URL=postgresql+psycopg://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("CLINIC_TEST_DATABASE_URL")
    if url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    # The suite's own mail and text folders: never the development instance's.
    folders = tmp_path_factory.mktemp("folders")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_DIR": str(folders / "outbox"),
                      "SMS_DIR": str(folders / "sms")} | {"__config__": "testing"})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def db(app):
    """A session whose work is rolled back after the test, commits included (savepoints)."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        # A plain Session bound to this connection: commits become savepoints of the outer
        # transaction, which is rolled back at the end (Flask-SQLAlchemy's own Session would
        # pick the engine and commit for real).
        session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id
        )
        original, _db.session = _db.session, session
        stamps.forget(app)   # this test's rolled-back stamps (and, on SQLite, ids) are those of others
        try:
            yield _db
        finally:
            session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app, db):
    app.test_client_class = FreshGClient
    return app.test_client()


# ---------------------------------------------------------------- factories (tests/factories.py)


@pytest.fixture
def make_organisation(db):
    return factories.organisation


@pytest.fixture
def make_site(db):
    return factories.site


@pytest.fixture
def paris(make_site):
    return make_site(code="paris-test", tz="Europe/Paris", country="FR", language="fr", policy="fr")


@pytest.fixture
def minnesota(make_site):
    return make_site(code="mn-test", tz="America/Chicago", country="US", subdivision="MN", language="en", policy="us")


@pytest.fixture
def make_user(db):
    return factories.user


@pytest.fixture
def make_patient(db):
    return factories.patient


@pytest.fixture
def make_appointment(db, paris):
    """An appointment row at a site's local date and time (30 minutes), without any signal: see
    factories.appointment (a room, a physician and, unless given, a patient of its own)."""

    def make(site=None, day=dt.date(2026, 6, 10), time=dt.time(10, 0), patient=None, minutes=30, **kw):
        return factories.appointment(site or paris, patient, day=day, time=time, minutes=minutes, **kw)

    return make


@pytest.fixture
def make_case(db, paris):
    """A procedure-day case: a checked-in appointment starting now at the Paris test site (unless
    told), for a new patient (`patient_kw` go to the patient factory) in a room of its own."""

    def make(procedure="esi-interlaminar", status=AppointmentStatus.CHECKED_IN, start=None, site=None,
             physician=None, patient=None, sedation=False, screening=None, **patient_kw):
        site = site or paris
        return factories.appointment(
            site, patient or factories.patient(site=site, **patient_kw),
            start=start or utcnow().replace(microsecond=0), turnover=10,
            physician=physician or factories.user("physician", sites=[site]), procedure_code=procedure,
            status=status, levels=["L4-L5"], sedation=sedation, screening=screening or {},
        )

    return make


@pytest.fixture
def nurse(make_user, paris):
    return make_user("nurse", sites=[paris])


@pytest.fixture
def physician(make_user, paris):
    return make_user("physician", sites=[paris])


@pytest.fixture
def complete_phase():
    """Record every required item of a phase with a valid value (physician for physician-only items)."""
    from clinic.procedures import services

    def run(appointment, phase, nurse, physician, now=None, override_reason=None):
        case = services.load_case(appointment)
        for item in case.phase_items(phase):
            if item.required:
                user = nurse if "nurse" in item.roles else physician
                if override_reason:
                    user = physician
                services.record(appointment, item.code, answer(item), user, override_reason=override_reason, now=now)
        return services.load_case(appointment)

    return run


@pytest.fixture
def smtp_server(app):
    """A running SMTP server keeping raw messages; the app sends to it for the duration of the test."""
    handler = smtp.Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp.free_port())
    controller.start()
    try:
        with smtp.sending_to(app, controller.port):
            yield handler
    finally:
        controller.stop()


# ---------------------------------------------------------------- sign-in helpers

@pytest.fixture
def login(client):
    def do(user, password=PASSWORD):
        token = csrf_token(client)
        response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return do


@pytest.fixture
def login_as(login, make_user, paris):
    """Sign in as a new user of the role, working at the Paris test site (unless sites are given)."""

    def do(role="front_desk", sites=None):
        return login(make_user(role, sites=[paris] if sites is None and role != "admin" else sites or []))

    return do


@pytest.fixture
def post_form(client):
    """POST a form with a valid CSRF token taken from the current session."""

    def do(path, data=None, follow_redirects=False, **kw):
        payload = dict(data or {})
        payload.setdefault("csrf_token", csrf_token(client, kw.pop("token_from", "/login")))
        return client.post(path, data=payload, follow_redirects=follow_redirects, **kw)

    return do


@pytest.fixture
def api_token(db):
    def issue(user) -> dict:
        token, raw = ApiToken.issue(user, "test")
        db.session.add(token)
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return issue


@pytest.fixture
def api_as(make_user, api_token, paris):
    """Bearer headers for a new user of the role at the Paris test site (or the given sites)."""

    def do(role="front_desk", sites=None):
        user = make_user(role, sites=[paris] if sites is None and role != "admin" else sites or [])
        headers = api_token(user)
        headers["X-Test-User"] = str(user.id)
        return headers

    return do
