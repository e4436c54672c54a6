# Two commands matter:  `make dev` (set up and run server + demo)  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: dev test lint typecheck install benchmarks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Set everything up and run the identity server plus the FastAPI demo (SQLite, keys generated).
dev: install
	$(BIN)/threshold dev

lint: install
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks

typecheck: install
	$(BIN)/mypy src

## Install everything and run the whole suite: lint, types, unit, integration (SQLite and
## PostgreSQL), conformance with the official Clerk SDKs, and end-to-end in Chromium.
test: install lint typecheck
	$(BIN)/python -m pytest -p no:cacheprovider

benchmarks: install
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .threshold test-artifacts
