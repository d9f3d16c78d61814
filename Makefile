# Sentra: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run demo-logins translations test test-fast test-postgres screenshots lint typecheck lock install browser-deps clean

# Dependencies come pinned from requirements.lock (made from pyproject.toml by `make lock`). The project itself is
# not installed: every command runs from this directory, which puts shared/ and services/ on the import path.
$(STAMP): pyproject.toml requirements.lock
	@echo "Installing the pinned dependencies into $(VENV)/ (first run, or after requirements.lock changed)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

## Compile the gateway's message catalogues (.po -> .mo; the app also compiles missing or stale ones at start).
translations: install
	@$(VENV)/bin/pybabel -q compile -d services/gateway/translations

## Run the whole platform locally: Redis, four web apps, three workers, one beat (Ctrl-C stops all).
run: install translations
	@$(PY) -m deploy.dev

## Print the URL and demo logins of `make run` again.
demo-logins: install
	@$(PY) -m deploy.demo_data --logins

## Run the whole test suite (SQLite; PostgreSQL too when SENTRA_TEST_POSTGRES_URL is set) on TEST_JOBS processes
## sharing the work by stealing it (the slow fault/restart tests start first on two of them and the calls of the
## end-to-end ones run one at a time: tests/conftest.py).
## PYTEST_ARGS='-m slow' runs only those, '-m "not slow"' all but them (exit code 5 = none selected).
TEST_JOBS ?= 4
PYTEST_PARALLEL = $(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist worksteal)
test: install translations browser-deps
	$(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS) || [ $$? -eq 5 ]

## Unit, use-case and integration tests only (no worker processes, no browser): the quick loop while coding.
test-fast: install translations
	$(PY) -m pytest -m "not e2e and not browser and not slow" tests/unit tests/usecases tests/integration $(PYTEST_ARGS)

## The same suite with every database test also on PostgreSQL.
test-postgres:
	SENTRA_TEST_POSTGRES_URL=$${SENTRA_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test} $(MAKE) test

## The browser tests, keeping a screenshot of each page they check (desktop and 360 px) in build/screenshots/.
screenshots: install translations browser-deps
	SENTRA_TEST_SCREENSHOTS=1 $(PY) -m pytest -m browser $(PYTEST_PARALLEL) $(PYTEST_ARGS)

## Lint and format check (ruff, configured in pyproject.toml).
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## Static types (mypy, configured in pyproject.toml: strict on shared/ and the rules/pricing modules).
typecheck: install
	$(PY) -m mypy

## Re-pin requirements.lock after a change to the dependencies in pyproject.toml.
lock: install
	$(PY) -m uv pip compile pyproject.toml --extra test --extra dev --python-version 3.11 \
	  -o requirements.lock --no-header --quiet --custom-compile-command "make lock"

## Headless Chromium for tests/browser, from Debian's package (best effort: skipped without root/apt).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null 2>&1)) ; } || \
	  echo "note: chromium not installed; browser tests will be skipped"

clean:
	rm -rf $(VENV) var
