# Berth: `make serve` runs the registry locally on moto; `make test` runs every test.
# Both install what they need first (a virtualenv in .venv/, Debian packages for the
# real-client tests).

VENV    := .venv
BIN     := $(VENV)/bin
PYTHON  ?= python3
HOST    ?= 127.0.0.1
PORT    ?= 5000
PYTEST_ARGS ?=

.PHONY: install system-deps serve test lint typecheck unit bench mutate screenshots clean

$(BIN)/berth: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/berth

system-deps:
	scripts/install-system-deps

serve: install
	$(BIN)/berth serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# Everything: lint, types, unit, storage, API conformance and end-to-end with real clients.
test: install system-deps lint typecheck
	BERTH_REQUIRE_SPECS=1 $(BIN)/pytest -n auto $(PYTEST_ARGS)

# The fast inner loop: no real clients. Both fail, rather than skip, the tests that read the
# published specs (../shared/specs, or BERTH_SPECS) when they are missing.
unit: install
	BERTH_REQUIRE_SPECS=1 $(BIN)/pytest -n auto -m "not e2e" $(PYTEST_ARGS)

# Not part of CI: apply each one-line mutation of scripts/mutate.py to the safety-critical code
# (GC, uploads, tags, permissions, presign), run its tests, report the survivors.
mutate: install
	$(BIN)/python scripts/mutate.py $(MUTATIONS)

# PNGs of the main pages for a person to look at (never committed): the browser tests against
# `berth serve` take them in headless chromium; they land in tests/e2e/screenshots/.
screenshots: install system-deps
	$(BIN)/pytest -n 0 -q -p no:randomly -m e2e tests/e2e/test_web_browser.py \
		tests/e2e/test_web_admin_browser.py
	@ls -1 tests/e2e/screenshots/*.png

bench: install system-deps
	$(BIN)/python -m bench

cost: install ; $(BIN)/berth cost

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
