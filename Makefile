# Two commands matter: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench clean playground e2e package triage-model

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/review-bot serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# The bot (authentication off, loopback) and the Agents Playground, a Teams client, beside it.
playground: $(STAMP)
	$(BIN)/python -m tests.support.playground

# The end-to-end journeys through the Playground alone (make test runs them too).
e2e: $(STAMP)
	$(BIN)/pytest -q -m e2e

# The Teams app package (manifest validated against the official schema, icons checked).
package: $(STAMP)
	$(BIN)/review-bot package --out build/review-bot-teams-app.zip

# The triage model: trained from tests/data/triage (scikit-learn, a development extra only),
# written to safeguarding/triage_model.json.gz. The same data always gives the same file.
triage-model: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	$(BIN)/python -m tests.triage_train

bench: $(STAMP)
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
