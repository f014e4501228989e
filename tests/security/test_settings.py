"""Settings that fail closed: no start without a real secret, production by default, https and
encrypted mail in production, no demo data in production, ProxyFix behind a proxy."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask.sessions import SecureCookieSessionInterface

from clinic import create_app
from clinic.config import KNOWN_KEYS, instance_secret_key
from tests.web import FreshGClient

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = secrets.token_urlsafe(48)


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLINIC_", "SECRET_KEY", "BASE_URL", "SMTP_", "DATABASE_URL"))}
    return env | extra


def _start(env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    probe = "from clinic import create_app; create_app(); print('STARTED')"
    return subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env | {"CLINIC_INSTANCE_PATH": str(tmp_path / "instance")})


def test_a_server_without_secret_or_environment_refuses_to_start(tmp_path):
    """No CLINIC_ENV and no SECRET_KEY: the server is a production one, and it does not start."""
    done = _start(_clean_env(), tmp_path)
    assert done.returncode != 0 and "STARTED" not in done.stdout
    assert "SECRET_KEY is not set" in done.stderr
    assert not (tmp_path / "instance" / "secret_key").exists()  # no key is made up for production


def test_without_clinic_env_the_production_checks_apply(tmp_path):
    """A real secret but nothing else: refused for the missing production settings, not run as development."""
    done = _start(_clean_env(SECRET_KEY=GOOD_KEY), tmp_path)
    assert done.returncode != 0 and "production needs the DATABASE_URL" in done.stderr


def _literal_keys() -> set[str]:
    """Every string the code base assigns to a SECRET_KEY (configuration, tests, benchmarks, scripts)."""
    found = set()
    pattern = re.compile(r"""SECRET_KEY["']?\s*[:=,]\s*["']([^"'$]{4,})["'](?!\s*\*)""")
    for folder in ("clinic", "tests", "bench", "docker"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".sh", ".yaml", ".toml"} and path.is_file():
                found |= set(pattern.findall(path.read_text(errors="ignore")))
    for name in ("compose.yaml", "Dockerfile", "Makefile", "gunicorn.conf.py", "wsgi.py"):
        found |= set(pattern.findall((ROOT / name).read_text()))
    return {key for key in found if not re.fullmatch(r"[A-Z_]+", key)}  # names of settings, not keys


def test_every_key_in_the_code_is_known_and_refused(monkeypatch, database_url):
    """A key written anywhere in the code cannot be a deployment's key, however long it is."""
    literals = _literal_keys()
    assert "testing-secret-of-the-test-suite-only" in literals  # the scan finds the suite's own key
    assert literals <= KNOWN_KEYS, literals - KNOWN_KEYS
    monkeypatch.setenv("DATABASE_URL", database_url)
    for key in sorted(KNOWN_KEYS):
        monkeypatch.setenv("SECRET_KEY", key)
        for name in ("development", "production", "benchmark"):
            with pytest.raises(RuntimeError, match="SECRET_KEY"):
                create_app(name)


@pytest.mark.parametrize("key", ["", "short", "x" * 31])
def test_missing_or_short_keys_are_refused(monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def _prod(monkeypatch, database_url, **config):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DATABASE_URL", database_url)
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "BASE_URL": "https://clinic.example",
                "SMTP_HOST": "relay.clinic.example", "SMTP_STARTTLS": True} | config
    return create_app({"__config__": "production"} | settings)


def test_cookie_signed_with_a_key_of_the_code_is_refused(monkeypatch, database_url, db, make_user):
    """An admin session forged with any key the code holds does not open an admin page."""
    admin = make_user("admin")
    prod = _prod(monkeypatch, database_url)
    prod.test_client_class = FreshGClient
    for key in [GOOD_KEY, *sorted(KNOWN_KEYS)]:
        forger = prod.test_client()
        forged_app = create_app({"__config__": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": key})
        serializer = SecureCookieSessionInterface().get_signing_serializer(forged_app)
        forger.set_cookie("session", serializer.dumps(
            {"_user_id": admin.get_id(), "_fresh": True, "signed_in_at": int(time.time())}),
                          domain="localhost")
        response = forger.get("/admin/users", base_url="https://localhost")
        if key == GOOD_KEY:  # the control: the deployment's own key does sign a working cookie
            assert response.status_code == 200
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], key


@pytest.mark.parametrize(("config", "message"), [
    ({"BASE_URL": "http://clinic.example"}, "https://"),
    ({"SMTP_HOST": None}, "SMTP_HOST"),
    ({"SMTP_STARTTLS": False}, "TLS"),
])
def test_production_needs_https_and_encrypted_mail(monkeypatch, database_url, config, message):
    with pytest.raises(RuntimeError, match=message):
        _prod(monkeypatch, database_url, **config)


def test_production_with_implicit_tls_starts_without_server_timing(monkeypatch, database_url):
    prod = _prod(monkeypatch, database_url, SMTP_STARTTLS=False, SMTP_SSL=True)
    response = prod.test_client().get("/login", base_url="https://clinic.example")
    assert response.status_code == 200 and "Server-Timing" not in response.headers
    timed = _prod(monkeypatch, database_url, SERVER_TIMING=True)
    assert "Server-Timing" in timed.test_client().get("/login", base_url="https://clinic.example").headers


def test_development_makes_its_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("clinic.INSTANCE", tmp_path)
    first = instance_secret_key(tmp_path)
    assert len(first) >= 32 and instance_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    dev = create_app({"__config__": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert dev.instance_path == str(tmp_path) and dev.config["SECRET_KEY"] == first


def test_seed_demo_refuses_to_run_in_production(monkeypatch, database_url):
    prod = _prod(monkeypatch, database_url)
    result = prod.test_cli_runner().invoke(args=["clinic", "seed-demo"])
    assert result.exit_code != 0 and "never in production" in result.output


def test_proxy_fix_gives_the_client_address(monkeypatch, database_url, db):
    """Behind one proxy, the audit and the limiter see the address the proxy forwarded."""
    from flask import request

    seen = []
    prod = _prod(monkeypatch, database_url, PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1)
    prod.before_request(lambda: seen.append((request.remote_addr, request.scheme)))
    prod.test_client().get("/login", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == [("203.0.113.7", "https")]
    plain = _prod(monkeypatch, database_url)
    plain.before_request(lambda: seen.append((request.remote_addr, request.scheme)))
    plain.test_client().get("/login", headers={"X-Forwarded-For": "203.0.113.7"})
    assert seen[-1] == ("127.0.0.1", "http")


@pytest.mark.parametrize("env, allowed", [("development", True), ("production", False), ("benchmark", False)])
def test_the_flask_command_seeds_the_demo_only_in_development(tmp_path, env, allowed):
    """`make seed` runs `flask --app wsgi clinic seed-demo` with CLINIC_ENV=development: the command
    the README gives works as written (the flask command sets the debug flag from FLASK_DEBUG, so
    the configuration, not the debug flag, decides), and a production server refuses it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    flask = Path(sys.executable).with_name("flask")
    env_vars = {**os.environ, "CLINIC_ENV": env, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite'}",
                "SECRET_KEY": "k" * 48, "FLASK_DEBUG": "", "BASE_URL": "https://clinic.example",
                "SMTP_HOST": "mail.clinic.example", "SMTP_STARTTLS": "1"}
    env_vars.pop("CLINIC_TEST_DATABASE_URL", None)
    root = Path(__file__).resolve().parents[2]
    upgrade = subprocess.run([str(flask), "--app", "wsgi", "db", "upgrade"], cwd=root, env=env_vars,
                             capture_output=True, text=True, timeout=300)
    assert upgrade.returncode == 0, upgrade.stderr
    seeded = subprocess.run([str(flask), "--app", "wsgi", "clinic", "seed-demo"], cwd=root, env=env_vars,
                            capture_output=True, text=True, timeout=300)
    if allowed:
        assert seeded.returncode == 0, seeded.stderr
        assert "doctor-demo-2026" in seeded.stdout
    else:
        assert seeded.returncode != 0 and "never in production" in seeded.stderr
