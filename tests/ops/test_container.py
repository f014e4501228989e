"""The container's entry point run as the image runs it (migrate, then serve under gunicorn with
gunicorn.conf.py, beside a dispatcher) on the test database's kind (PostgreSQL when
CLINIC_TEST_DATABASE_URL names one); the settings the image and compose file rely on.

Slow (starts gunicorn and a dispatcher, about 20 s): marked `slow`.
"""

from __future__ import annotations

import json
import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
TOKEN = "entry-metrics-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database(tmp_path) -> str:
    """An empty database of its own: `<test database>_entry` on PostgreSQL, else a SQLite file."""
    url = os.environ.get("CLINIC_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'entry.sqlite'}"
    base = sa.engine.make_url(url)
    name = f"{base.database}_entry"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _env(tmp_path: Path, database: str, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "CLINIC_", "SENTRY_"))}
    return env | {
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}", "PYTHONPATH": str(ROOT),
        "CLINIC_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": database,
        "BASE_URL": "https://clinic.example", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "9", "SMTP_STARTTLS": "1", "PORT": str(port),
        "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "2", "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "CLINIC_INSTANCE_PATH": str(tmp_path / "instance"),
        "OUTBOX_DIR": str(tmp_path / "outbox"), "DISPATCH_INTERVAL_SECONDS": "1",
    }


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _wait_for(url: str, status: int = 200, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            last = _get(url)
            if last[0] == status:
                return last[1]
        except OSError as err:
            last = err
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered {status}: {last}")


def _start(args: list[str], env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([str(ENTRYPOINT), *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _stop(proc: subprocess.Popen) -> str:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out


@pytest.mark.slow
def test_the_entry_point_migrates_then_serves_beside_a_dispatcher(tmp_path, database):
    port = _free_port()
    env = _env(tmp_path, database, port)
    base = f"http://127.0.0.1:{port}"
    migrated = subprocess.run([str(ENTRYPOINT), "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    server = _start(["serve"], env, tmp_path)
    dispatcher = None
    try:
        assert json.loads(_wait_for(f"{base}/healthz")) == {"status": "ok"}
        assert json.loads(_wait_for(f"{base}/readyz", 503))["checks"]["dispatcher"] == "none"
        dispatcher = _start(["scheduler", "--worker-id", "entry-test"], env, tmp_path)
        assert json.loads(_wait_for(f"{base}/readyz"))["status"] == "ready"
        assert _get(f"{base}/api/v1/patients?q=Dubois&token=s3cret")[0] == 401
        status, text = _get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        assert 'clinic_dispatcher_passes_total{worker="entry-test"}' in text
        assert 'clinic_http_requests_total{method="GET",route="/readyz",status="200"}' in text
    finally:
        served = _stop(server)
        dispatched = _stop(dispatcher) if dispatcher else ""
    assert "Booting worker" in served
    access = [json.loads(line) for line in served.splitlines() if line.startswith('{"ts": "[')]
    assert {"method": "GET", "path": "/api/v1/patients", "status": 401} in [
        {k: a[k] for k in ("method", "path", "status")} for a in access]
    assert "Dubois" not in served and "s3cret" not in served and "q=" not in served
    assert "Reminder dispatcher entry-test" in dispatched


def test_the_entry_point_refuses_to_start_without_its_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    done = subprocess.run([str(ENTRYPOINT), "serve"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode != 0 and "SECRET_KEY must be set" in done.stderr


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    for name, value in {"GUNICORN_WORKERS": "5", "GUNICORN_THREADS": "8", "GUNICORN_TIMEOUT": "45",
                        "GUNICORN_GRACEFUL_TIMEOUT": "20", "GUNICORN_KEEPALIVE": "3", "PORT": "9000",
                        "FORWARDED_ALLOW_IPS": "10.0.0.2"}.items():
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["workers"], conf["threads"], conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == \
        (5, 8, 45, 20, 3)
    assert conf["bind"] == "0.0.0.0:9000" and conf["worker_class"] == "gthread"
    assert conf["forwarded_allow_ips"] == "10.0.0.2" and conf["wsgi_app"] == "clinic:create_app()"
    fmt = conf["access_log_format"]
    assert "%(U)s" in fmt and not any(atom in fmt for atom in ("%(r)s", "%(q)s", "%(f)s", "%({query"))


def test_each_worker_freezes_what_it_built(monkeypatch):
    """After the app is loaded in a worker, its objects leave the collector's generations."""
    import gc

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        conf["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def _stages(dockerfile: str) -> list[str]:
    return [part for part in dockerfile.split("\nFROM ")[1:]]


def test_the_image_is_multi_stage_slim_non_root_without_build_tools():
    text = (ROOT / "Dockerfile").read_text()
    build, final = _stages(text)
    assert "python:3.12-slim" in text and "--require-hashes -r requirements.txt" in build
    assert "pip wheel" in build and "messages.mo" in build
    assert "USER clinic" in final and "useradd" in final
    assert not any(tool in final for tool in ("gcc", "build-essential", "apt-get install", "pip install", "/opt/build"))
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in final
    assert "COPY docker/entrypoint.sh /app/docker/entrypoint.sh" in final and "COPY gunicorn.conf.py /app/" in final
    for name in ("requirements.txt", "requirements-build.txt", "setup.py", "pyproject.toml"):
        assert (ROOT / name).is_file()


def test_the_compose_file_runs_app_dispatcher_database_redis_mail_and_a_one_shot_migration():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert set(services) == {"db", "redis", "mail", "migrate", "app", "dispatcher"}
    assert services["migrate"]["command"] == ["migrate"] and services["migrate"]["restart"] == "no"
    assert services["app"]["command"] == ["serve"] and services["dispatcher"]["command"] == ["scheduler"]
    for name in ("app", "dispatcher"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    env = services["app"]["environment"]
    assert env["RATELIMIT_STORAGE_URI"].startswith("redis://redis") and env["SMTP_HOST"].endswith("mail}")
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://") and env["CLINIC_ENV"] == "production"
    assert "?" in env["SECRET_KEY"]  # compose refuses to start without it
    assert services["dispatcher"]["healthcheck"]["test"] == ["CMD", "/app/docker/entrypoint.sh", "ready"]
