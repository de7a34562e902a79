# Shaffof — the two commands a newcomer needs are `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: help serve test lint fmt migrate demo bench clean soak

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	scripts/system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

serve: $(STAMP) ## set up everything (venv, SQLite in var/, demo data on first run) and serve http://127.0.0.1:8000
	$(BIN)/shaffof init --no-services
	$(BIN)/shaffof demo --if-empty
	$(BIN)/shaffof init
	$(BIN)/shaffof serve

test: $(STAMP) ## run the whole suite on SQLite and on a throwaway PostgreSQL
	scripts/system-deps --test
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP) ## format and autofix
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

migrate: $(STAMP) ## migrate the database to the latest schema (SHAFFOF_DATABASE_URL or var/shaffof.db)
	$(BIN)/shaffof init --no-services

demo: $(STAMP) ## load the demo data set into a fresh database (SCALE=1 → 2,000 persons, 10,000 cases)
	$(BIN)/shaffof init --no-services
	$(BIN)/shaffof demo --scale $(or $(SCALE),1)
	$(BIN)/shaffof init

bench: $(STAMP) ## signed submissions end to end under load, with their ceilings (BENCH_ARGS="--help" for flags)
	$(BIN)/python bench/load.py $(BENCH_ARGS)

soak: $(STAMP) ## the reliability suite's heavy variants: ≥ 20,000 fuzzed API requests per database, more kills
	scripts/system-deps --test
	SHAFFOF_SOAK=1 SHAFFOF_FUZZ_EXAMPLES=90 SHAFFOF_FUZZ_MINIMUM_REQUESTS=20000 $(BIN)/pytest -s tests/reliability $(PYTEST_ARGS)

clean: ## remove the virtual environment and the local data (var/)
	rm -rf $(VENV) var
