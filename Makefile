# Dolbom — every target prepares what it needs; a fresh machine needs only Python 3.11, git and make.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
RUN := $(UV) run --frozen --no-sync

.PHONY: demo test test-fast lint format bench env messages clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	touch $@

env: .venv/.synced

## The demo: generated city, embedded SQLite + DuckDB, web server on 127.0.0.1:8000.
demo: env
	$(RUN) dolbom demo

## The whole suite (unit, service, browser). DOLBOM_DATABASE_URL selects PostgreSQL.
test: env
	bash scripts/test-deps.sh
	$(RUN) pytest

## The suite without browser and slow tests, for a quick loop while editing.
test-fast: env
	$(RUN) pytest -m "not e2e and not slow"

## Style and layers: ruff, then import-linter's contracts ([tool.importlinter] in pyproject.toml).
lint: env
	$(RUN) ruff check src tests
	$(RUN) ruff format --check src tests
	$(RUN) lint-imports --no-logo --no-cache

format: env
	$(RUN) ruff check --fix src tests
	$(RUN) ruff format src tests

## Benchmarks: figures printed side by side and written to docs/benchmarks.md.
bench: env
	$(RUN) python -m tests.bench $(BENCH_ARGS)

## Recompile the Korean message catalogue after editing the .po file.
messages: env
	$(RUN) python -m dolbom.web.i18n_compile

clean:
	rm -rf .venv $(TOOLS) var .pytest_cache .ruff_cache
