# Two commands matter:  `make dev` (set up and run server + demo)  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Hash-pinned lock files (`make lock` writes them from pyproject.toml; docs/releasing.md).
LOCK_DEV    := requirements/dev.txt
LOCK_SERVER := requirements/server.txt
UV_COMPILE   = $(BIN)/uv pip compile -q --universal --python-version 3.11 --generate-hashes \
               --custom-compile-command 'make lock'

.PHONY: dev test lint typecheck install lock audit audit-live sbom benchmarks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv

# Exactly the locked versions, each checked against its hash; then the project itself from
# source, with no dependency resolution and the locked build backend (nothing unhashed).
$(STAMP): $(BIN)/python pyproject.toml $(LOCK_DEV)
	$(BIN)/uv pip install -q --python $(BIN)/python --require-hashes -r $(LOCK_DEV)
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## Re-resolve the lock files after a dependency change in pyproject.toml. Pins already in
## the files are kept where they still fit; `make lock UPGRADE_PACKAGE=jinja2` moves one
## package forward (after an advisory), `make lock UPGRADE=1` moves everything.
lock: $(BIN)/python
	$(UV_COMPILE) $(if $(UPGRADE),--upgrade) \
	    $(if $(UPGRADE_PACKAGE),--upgrade-package $(UPGRADE_PACKAGE)) \
	    pyproject.toml requirements/build.in --extra dev -o $(LOCK_DEV)
	$(UV_COMPILE) pyproject.toml --extra server -c $(LOCK_DEV) -o $(LOCK_SERVER)

## pip-audit over the lock files. A published advisory fails; an advisory service that does
## not answer is reported loudly and fails only with AUDIT_UNREACHABLE=fail (releases).
AUDIT_SERVICE     ?= pypi
AUDIT_UNREACHABLE ?= warn
AUDIT_FILES       ?= $(LOCK_DEV) $(LOCK_SERVER)
AUDIT_ARGS        ?=
audit: install
	$(BIN)/python tools/audit.py --service $(AUDIT_SERVICE) --unreachable $(AUDIT_UNREACHABLE) \
	    $(AUDIT_ARGS) $(AUDIT_FILES)

## The tests that need the real advisory service (not part of `make test`: they fail when
## it cannot be reached). Run before a release, with `make audit AUDIT_UNREACHABLE=fail`.
audit-live: install
	$(BIN)/python -m pytest -p no:cacheprovider -m advisories tests/supply_chain

## CycloneDX SBOM of the locked server environment, one per release (docs/releasing.md).
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
SBOM_DIR ?= dist
sbom: install
	mkdir -p $(SBOM_DIR)
	PYTHONWARNINGS=ignore::UserWarning:cyclonedx.model.bom \
	    $(BIN)/cyclonedx-py requirements --pyproject pyproject.toml --mc-type application \
	    --output-reproducible --of JSON -o $(SBOM_DIR)/threshold-$(VERSION).cdx.json \
	    $(LOCK_SERVER)
	@echo "sbom: $(SBOM_DIR)/threshold-$(VERSION).cdx.json"

## Set everything up and run the identity server plus the FastAPI demo (SQLite, keys generated).
dev: install
	$(BIN)/threshold dev

lint: install
	$(BIN)/ruff check src tests examples benchmarks tools
	$(BIN)/ruff format --check src tests examples benchmarks tools

typecheck: install
	$(BIN)/mypy src

## Install everything and run the whole suite: lint, types, dependency audit, unit,
## integration (SQLite and PostgreSQL), conformance with the official Clerk SDKs, and
## end-to-end in Chromium.
test: install lint typecheck audit
	$(BIN)/python -m pytest -p no:cacheprovider -m "not advisories"

benchmarks: install
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .threshold test-artifacts
