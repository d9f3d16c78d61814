# Sentra: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-postgres install browser-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Run the whole platform locally: Redis, four web apps, three workers, one beat (Ctrl-C stops all).
run: install
	$(PY) -m deploy.dev

## Run the whole test suite (SQLite; PostgreSQL too when SENTRA_TEST_POSTGRES_URL is set).
test: install browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

## The same suite with every database test also on PostgreSQL.
test-postgres: install browser-deps
	SENTRA_TEST_POSTGRES_URL=$${SENTRA_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_ARGS)

## Headless Chromium for tests/browser, from Debian's package (best effort: skipped without root/apt).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null 2>&1)) ; } || \
	  echo "note: chromium not installed; browser tests will be skipped"

clean:
	rm -rf $(VENV) var
