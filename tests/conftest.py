"""Shared fixtures: one migrated database per run, a rolled-back transaction per test,
factories for sites, users and patients, and helpers to sign in and call the API.

SQLite (a file) by default; PostgreSQL when CLINIC_TEST_DATABASE_URL is set (make test sets it
from TEST_DATABASE_URL for its second pass).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re

import pytest
import sqlalchemy as sa
import time_machine
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from clinic import create_app
from clinic.accounts.models import ApiToken, Role, User
from clinic.extensions import db as _db
from clinic.patients.models import Patient, PatientMedication
from clinic.scheduling.models import WorkingHours
from clinic.sites.models import Organisation, Room, Site
from tests.clock import fixed_instant

# Whatever this run starts (the app, a `flask` subprocess that inherits the environment) is a test one.
os.environ["CLINIC_ENV"] = "testing"

PASSWORD = "correct-horse-9"
_counter = itertools.count(1)


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
def app(database_url):
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url} | {"__config__": "testing"})
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
        try:
            yield _db
        finally:
            session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


class FreshGClient(FlaskClient):
    """Each request starts with an empty `g`, as in production.

    The test's app context (held open by the db fixture) is reused by requests, so without this
    the CSRF token and the signed-in user cached in `g` would leak from one request to the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            store = g._get_current_object()
            for name in list(vars(store)):
                delattr(store, name)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, db):
    app.test_client_class = FreshGClient
    return app.test_client()


# ---------------------------------------------------------------- factories


ORGANISATIONS = {"FR": ("paris-group", "Paris group"), "US": ("twin-cities", "Twin Cities group")}


def organisation_for(db, country: str) -> Organisation:
    """The test organisation of a country (the Paris group, the Twin Cities group), made on first use."""
    code, name = ORGANISATIONS.get(country, (f"org-{country.lower()}", f"Organisation {country}"))
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(code=code, name=name, country=country, privacy_contact=f"privacy@{code}.test")
        db.session.add(org)
        db.session.flush()
    return org


@pytest.fixture
def make_organisation(db):
    def make(code=None, country="FR", name=None):
        n = next(_counter)
        org = Organisation(code=code or f"org-{n}", name=name or f"Organisation {n}", country=country)
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_site(db):
    def make(code=None, tz="Europe/Paris", country="FR", subdivision=None, language="fr", rooms=None,
             organisation=None, **kw):
        """A site of `organisation` (default: the test organisation of its country)."""
        n = next(_counter)
        site = Site(
            organisation=organisation or organisation_for(db, country),
            code=code or f"site-{n}", name=kw.pop("name", f"Site {n}"), timezone=tz, country=country,
            subdivision=subdivision, language=language, address=kw.pop("address", f"{n} Test Street"),
            phone=kw.pop("phone", "+33 1 00 00 00 00"), policy=kw.pop("policy", "fr" if country == "FR" else "us"),
            **kw,
        )
        for name, modalities in rooms or [("Room 1", ["fluoroscopy"])]:
            site.rooms.append(Room(name=name, modalities=modalities))
        db.session.add(site)
        db.session.commit()  # a savepoint: the test's outer transaction still rolls back
        return site

    return make


@pytest.fixture
def paris(make_site):
    return make_site(code="paris-test", tz="Europe/Paris", country="FR", language="fr", policy="fr")


@pytest.fixture
def minnesota(make_site):
    return make_site(code="mn-test", tz="America/Chicago", country="US", subdivision="MN", language="en", policy="us")


@pytest.fixture
def make_user(db):
    def make(role="front_desk", sites=(), email=None, name=None, password=PASSWORD, hours=True, language="en"):
        """A user; English interface unless `language` says otherwise (None: the site's language)."""
        n = next(_counter)
        user = User(email=email or f"user{n}@test.example", name=name or f"User {n}", role=Role(role),
                    sites=list(sites), language=language)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        if hours and user.role == Role.PHYSICIAN:
            for site in sites:
                for weekday in range(5):
                    db.session.add(WorkingHours(physician=user, site=site, weekday=weekday, start_time=dt.time(8),
                                                end_time=dt.time(17), valid_from=dt.date(2020, 1, 1)))
            db.session.flush()
        db.session.commit()
        return user

    return make


def _default_organisation(db) -> Organisation:
    """A patient given no site is registered at the newest site's organisation (the site the test
    is about, in practice), or the Paris group when there is no site yet."""
    site = db.session.scalar(sa.select(Site).order_by(Site.id.desc()).limit(1))
    return site.organisation if site is not None else organisation_for(db, "FR")


@pytest.fixture
def make_patient(db):
    def make(language="en", conditions=(), allergies=(), medications=(), site=None, organisation=None, **kw):
        """A patient registered at `site` (or of `organisation`; default: see _default_organisation)."""
        n = next(_counter)
        org = organisation or (site.organisation if site is not None else _default_organisation(db))
        patient = Patient(
            organisation_id=org.id,
            first_name=kw.pop("first_name", f"Pat{n}"), last_name=kw.pop("last_name", f"Patient{n}"),
            birth_date=kw.pop("birth_date", dt.date(1960, 5, 17)), email=kw.pop("email", f"patient{n}@test.example"),
            language=language, conditions=list(conditions), allergies=list(allergies), **kw,
        )
        patient.medications = [PatientMedication(drug=d, indication=i) for d, i in
                               ((m, None) if isinstance(m, str) else m for m in medications)]
        db.session.add(patient)
        db.session.commit()
        return patient

    return make


# ---------------------------------------------------------------- sign-in helpers

_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client, path="/login") -> str:
    """A CSRF token from any page (every page carries one in the language switch)."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


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
