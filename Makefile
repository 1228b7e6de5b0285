# ghTrader — every entry point a fresh machine needs. Quick start: `make demo`, then `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
GHTRADER := $(VENV)/bin/ghtrader
STAMP := $(VENV)/.ghtrader-installed
DATA_DIR ?= data
DEMO_START ?= 2025-03-03
DEMO_END ?= 2025-03-14

.PHONY: setup demo test lint bench clean help

help:
	@echo "make setup | demo | test | lint | bench | clean"

# Idempotent: the stamp is rebuilt only when pyproject.toml changes (a second run is instant).
setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip setuptools wheel
	@# torch is pinned to 2.13.0 (CPU wheel available locally); a bare `torch` would pull CUDA.
	$(PY) -m pip install -q -e ".[all]" "torch==2.13.0"
	@touch $(STAMP)

demo: setup
	$(GHTRADER) download --source sim --var cu --start $(DEMO_START) --end $(DEMO_END) --data-dir $(DATA_DIR)
	$(GHTRADER) coverage --var cu --data-dir $(DATA_DIR)

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check ghtrader tests benchmarks
	$(VENV)/bin/ruff format --check ghtrader tests benchmarks
	$(VENV)/bin/mypy ghtrader

bench: setup
	@mkdir -p benchmarks/results
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done
	@echo "results in benchmarks/results/"

clean:
	rm -rf $(DATA_DIR) runs .pytest_cache .mypy_cache .ruff_cache
