# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run test install translations migrate seed lint fuzz bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@for d in clinic/translations clinic/*/translations; do \
	  if [ -d "$$d" ]; then $(VENV)/bin/pybabel compile -f -d "$$d" >/dev/null || exit 1; fi; \
	done

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

lint: install
	$(VENV)/bin/ruff check clinic tests bench

# The long run: FUZZ_EXAMPLES generated inputs per API operation and per form (make test runs
# the same tests with a handful each); prints how many requests were made and how many failed.
FUZZ_EXAMPLES ?= 150
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -m fuzz $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache

# The soak: mixed load with faults on PostgreSQL (SOAK_DATABASE_URL, dropped and created again),
# then integrity checks and one table; SOAK_MINUTES sets the length (default 20).
.PHONY: soak
soak: install
	$(PY) bench/soak.py
