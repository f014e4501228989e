# The two commands a new user needs: `make run` and `make test`.
# The interpreter: PYTHON if given, else the first of python3.12, python3.13, python3 that runs
# and is 3.12 or newer (pyenv's versions are tried too).
PYTHON ?= $(shell for p in python3.12 python3.13 python3 $(wildcard $(HOME)/.pyenv/versions/3.1[23]*/bin/python3); do \
  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
# `make run` is a development server (its SECRET_KEY is made once in instance/secret_key); a server
# started without CLINIC_ENV is a production one.
FLASK := CLINIC_ENV=development $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run test test-clock install translations migrate seed lint docs fuzz bench clean lock wheel

# Installs exactly the locked versions, each checked against its hash (requirements-dev.txt holds
# every package, direct and indirect, of the runtime and of development).
$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (tried python3.12, python3.13, python3)"; exit 1; }
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  echo "$(VENV) holds an older Python: making it again"; rm -rf $(VENV); fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(STAMP)

# Writes both lock files again from pyproject.toml (after a dependency is added or bumped).
# pip-compile runs in a virtualenv of its own (.venv-lock), with the last pip its pip-tools can
# drive: the locked pip of .venv is newer than pip-tools 7.5 supports.
LOCK_VENV := .venv-lock
LOCK := $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet "pip==25.3" "pip-tools==7.5.2"; }
	$(LOCK) -o requirements.txt pyproject.toml
	$(LOCK) --extra dev -o requirements-dev.txt pyproject.toml
	$(LOCK) -o requirements-build.txt requirements-build.in

# A wheel with the templates, static files, catalog data, migrations and compiled catalogs.
wheel: $(STAMP)
	$(PY) -m pip wheel --no-deps --no-build-isolation -w dist .

install: $(STAMP) translations

# One catalog for every text: the template (messages.pot) is extracted from the code and the
# templates (babel.cfg), the French catalog is brought up to it and compiled to the .mo the app
# reads. The template is replaced only when its messages change, so a run on an up-to-date tree
# leaves it as it is. A message without its French is added empty: tests/core/test_translations.py
# names it.
BABEL_KEYWORDS := -k _l -k lazy_pgettext:1c,2
CATALOG := clinic/translations
translations: $(STAMP)
	@$(VENV)/bin/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --sort-output --add-location=file \
	  -o $(CATALOG)/messages.pot.new .
	@if [ -f $(CATALOG)/messages.pot ] && diff -q -I '^"POT-Creation-Date: ' $(CATALOG)/messages.pot \
	  $(CATALOG)/messages.pot.new >/dev/null; then rm $(CATALOG)/messages.pot.new; \
	else mv $(CATALOG)/messages.pot.new $(CATALOG)/messages.pot; fi
	@$(VENV)/bin/pybabel -q update -i $(CATALOG)/messages.pot -d $(CATALOG) --no-fuzzy-matching --ignore-obsolete
	@$(VENV)/bin/pybabel -q compile -f -d $(CATALOG)

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) clinic seed-demo

run: seed
	@echo "Starting the clinic at http://127.0.0.1:5000 and the reminder scheduler beside it (Ctrl-C stops both)."
	@trap 'kill 0' INT TERM EXIT; \
	 if $(FLASK) clinic --help 2>/dev/null | grep -q scheduler; then $(FLASK) clinic scheduler & fi; \
	 $(FLASK) run --host 127.0.0.1 --port 5000

# SQLite always; PostgreSQL as well when TEST_DATABASE_URL is set (as .ci/run does).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  CLINIC_TEST_DATABASE_URL="$$TEST_DATABASE_URL" $(PY) -m pytest -m "not browser" $(PYTEST_ARGS); \
	fi

# The suite at the hard hours (SQLite, browser tests included): 23:30 in Paris (quiet hours at the
# Paris sites), the night Paris enters summer time, the night the United States leave it. Every test
# starts at CLINIC_TEST_NOW instead of the suite's usual Wednesday afternoon (tests/clock.py).
CLOCK_INSTANTS ?= 2026-12-09T22:30:00+00:00 2027-03-28T01:30:00+00:00 2027-11-07T07:30:00+00:00
test-clock: install
	@for instant in $(CLOCK_INSTANTS); do \
	  echo "== the suite with its clock at $$instant"; \
	  CLINIC_TEST_NOW="$$instant" $(PY) -m pytest $(PYTEST_ARGS) || exit 1; \
	done

# Ruff everywhere, the type checker on the application, and the package contracts when
# pyproject.toml declares some ([tool.importlinter]).
lint: install
	$(VENV)/bin/ruff check clinic tests bench
	$(VENV)/bin/mypy clinic
	$(VENV)/bin/lint-imports

# docs/api.md from the OpenAPI document and docs/clinical-rules.md from the catalog data; a test
# fails when the committed copies differ from what this writes.
docs: $(STAMP)
	$(PY) -m clinic.docs

# The long run: FUZZ_EXAMPLES generated inputs per API operation and per form (make test runs
# the same tests with a handful each), once per seed of FUZZ_SEEDS, so a run is repeatable and
# each seed explores other inputs; prints how many requests were made and how many failed.
# What a run finds goes into tests/fuzz/found.py, which every run replays first.
FUZZ_EXAMPLES ?= 150
FUZZ_SEEDS ?= 1 2 3
fuzz: install
	@for seed in $(FUZZ_SEEDS); do \
	  echo "== fuzz with seed $$seed"; \
	  FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -m fuzz --hypothesis-seed=$$seed $(PYTEST_ARGS) \
	    || exit 1; \
	done

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(LOCK_VENV) instance .pytest_cache build dist *.egg-info

# The soak: mixed load with faults on PostgreSQL (SOAK_DATABASE_URL, dropped and created again),
# then integrity checks and one table; SOAK_MINUTES sets the length (default 20).
.PHONY: soak
soak: install
	$(PY) bench/soak.py
