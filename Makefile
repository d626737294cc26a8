# Offentlig. The two commands a newcomer needs:
#   make serve   install, then run the service on the embedded default (http://127.0.0.1:8000)
#   make test    install everything, then run every check and test
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
export OFFENTLIG_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: serve install install-test install-node install-pywb install-system lint test test-python test-plugin bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

# axe-core for the browser tests, at the version tests/e2e/package-lock.json pins.
install-node:
	npm ci --prefix tests/e2e --no-audit --no-fund --silent

# pywb, in a virtualenv of its own, to prove it replays our WARCs (tests/e2e/pywb/): it pins
# versions the service cannot use (cryptography < 48 through pyOpenSSL, werkzeug 3.1.7) and
# patches the standard library with gevent when imported.
install-pywb:
	test -x .venv-pywb/bin/python || $(PYTHON) -m venv .venv-pywb
	.venv-pywb/bin/pip install --quiet -r tests/e2e/pywb/requirements.txt

install-system:
	.ci/install-system

serve: install
	$(BIN)/offentlig serve

lint: install-test
	$(BIN)/ruff check service schemas tests bench
	$(BIN)/ruff format --check service schemas tests bench
	$(BIN)/mypy

# Tests run in 3 processes (pytest-xdist), a file per process at a time: most of a test's time
# is spent waiting for SeaweedFS, PostgreSQL, WordPress or a browser, so 3 keep 2 cores busy.
# Every test makes its own ports, databases, buckets and temporary directories.
PYTEST_WORKERS ?= 3
test-python: install-test install-node install-pywb
	$(BIN)/pytest tests -n $(PYTEST_WORKERS) --dist loadfile --cov --cov-report=term:skip-covered --durations=25

test-plugin: install-system
	wp-plugin/bin/check

test: install-system install-test lint test-plugin test-python

bench: install-test
	$(MAKE) -C bench

# The fault campaign ("nothing lost", bench/README.md): storage and database down, kill -9,
# chaos delivery, full disks, slow clients. ~15 minutes on 2 cores; SOAK_ARGS="--quick" ~4.
SOAK_ARGS ?=
soak: install-test
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .venv-pywb *.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage artifacts tests/e2e/node_modules
