"""The wheel alone runs the app: built from the repository, installed into a fresh environment,
started from a folder outside the checkout, with its templates, static files, catalog data,
migrations and French catalogs.

Slow (a wheel build and a migration, about 30 s): marked `slow`.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

PROBE = """
import clinic, sys
from clinic import create_app
app = create_app()
client = app.test_client()
login = client.get("/login", headers={"Accept-Language": "fr"})
css = client.get("/static/css/app.css")
from clinic.catalog import DATA
print("FILE", clinic.__file__)
print("LOGIN", login.status_code, "Se connecter" in login.get_data(as_text=True))
print("CSS", css.status_code, len(css.data))
print("DATA", sorted(p.name for p in DATA.glob("*.toml"))[:2])
"""


def _run(args: list[str], cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
         cwd=ROOT)
    (found,) = out.glob("clinic-*.whl")
    return found


def test_the_wheel_carries_templates_static_data_migrations_and_compiled_catalogs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "clinic/templates/base.html" in names
    assert "clinic/static/css/app.css" in names
    assert "clinic/catalog/data/procedures.toml" in names
    assert "clinic/migrations/env.py" in names
    assert any(n.startswith("clinic/migrations/versions/0001") for n in names)
    mo = {n for n in names if n.endswith(".mo")}
    po = {p.relative_to(ROOT).with_suffix(".mo").as_posix() for p in (ROOT / "clinic").glob("**/LC_MESSAGES/*.po")}
    assert po and po <= mo
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_the_app_starts_from_the_installed_wheel_alone(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], cwd=tmp_path)
    # The dependencies are those of this environment (installed from the lock); the clinic
    # package itself comes only from the wheel.
    pure = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (pure / "locked-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "DATABASE_URL", "CLINIC_ENV"}}
    # A development server: its secret key is made in the instance folder on the first run.
    env |= {"CLINIC_INSTANCE_PATH": str(work / "instance"), "DATABASE_URL": f"sqlite:///{work / 'clinic.sqlite'}",
            "CLINIC_ENV": "development"}
    env.pop("SECRET_KEY", None)
    _run([str(python), "-m", "flask", "--app", "clinic", "db", "upgrade"], cwd=work, env=env)
    out = _run([str(python), "-c", PROBE], cwd=work, env=env)
    assert f"FILE {pure / 'clinic' / '__init__.py'}" in out
    assert "LOGIN 200 True" in out
    assert "CSS 200" in out and "CSS 200 0" not in out
    assert "DATA ['checklists.toml', 'medications.toml']" in out
    assert (work / "instance").is_dir() and (work / "clinic.sqlite").is_file()
    assert len((work / "instance" / "secret_key").read_text().strip()) >= 32
