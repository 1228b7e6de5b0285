# ghTrader — every entry point a fresh machine needs. Quick start: `make demo`, then `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
GHTRADER := $(VENV)/bin/ghtrader
STAMP := $(VENV)/.ghtrader-installed
DATA_DIR ?= data
DEMO_START ?= 2025-03-03
DEMO_END ?= 2025-03-28

AIRFLOW_ENV = eval "$$($(PY) -m ghtrader.pipeline.airflow_env)"

.PHONY: setup demo test test-questdb questdb-runtime lint bench clean help airflow airflow-init live live-status live-stop prod-up prod-down prod-status screenshots

help:
	@echo "make setup | demo | test | test-questdb | lint | bench | airflow | live | live-status | live-stop | prod-up | prod-down | screenshots | clean"

# Idempotent: the stamp is rebuilt only when pyproject.toml changes (a second run is instant).
setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip setuptools wheel
	@# torch is pinned to 2.13.0 (CPU wheel available locally); a bare `torch` would pull CUDA.
	@# PYTHONWARNINGS: setuptools' editable-install BuildBackendWarning is noise for a user.
	PYTHONWARNINGS=ignore $(PY) -m pip install -q -e ".[all]" "torch==2.13.0"
	@# JIT caches at install time, as a deployment would: the first demo / live tick then skips ~20 s of numba compiles.
	@$(PY) -m ghtrader.pipeline.warmup
	@touch $(STAMP)

# Airflow metadata DB (SQLite under airflow_home/) and the tqsdk pool (4 slots); idempotent.
airflow-init: setup
	@mkdir -p airflow_home
	@$(AIRFLOW_ENV); $(VENV)/bin/airflow db migrate > airflow_home/migrate.log 2>&1 || (cat airflow_home/migrate.log; exit 1)
	@$(AIRFLOW_ENV); $(VENV)/bin/airflow pools set tqsdk 4 "TqSdk API concurrency" > /dev/null
	@$(AIRFLOW_ENV); for v in cu au ag; do $(VENV)/bin/airflow pools set ghtrader_$$v 1 "serializes runs of $$v" > /dev/null; done

# The whole cu pipeline through Airflow (dag.test) over a fixed 20-trading-day sim range.
demo: airflow-init
	@mkdir -p runs
	@$(AIRFLOW_ENV); AIRFLOW__LOGGING__LOGGING_LEVEL=WARNING GHTRADER_DATA_DIR=$(DATA_DIR) \
		$(PY) -m ghtrader.pipeline.demo --var cu --start $(DEMO_START) --end $(DEMO_END) 2> runs/demo.log \
		|| (tail -40 runs/demo.log; exit 1)

# Airflow UI on http://127.0.0.1:8080 with the three DAGs (Ctrl-C stops it).
airflow: airflow-init
	@bash scripts/airflow_local.sh

# Production mode on one machine: PostgreSQL + Redis + CeleryExecutor (2 workers) + Prometheus,
# all under supervisord on 127.0.0.1 (daemons/prod/). Idempotent; prints the URL and where the
# login passwords are. See docker/DEPLOYMENT.md for more hosts / Kubernetes.
prod-up: setup
	@bash scripts/prod.sh up

prod-down:
	@bash scripts/prod.sh down

prod-status:
	@bash scripts/prod.sh status

# Headless Chromium screenshots of the running Airflow UI + ghTrader dashboard into docs/screenshots/.
screenshots: setup
	@$(PY) scripts/screenshots.py

# Live daemons under supervisord (daemons/supervisord.conf, run dir runs/daemons): the recorder on
# the sim feed (virtual clock from LIVE_START_AT at LIVE_SPEED x, no credentials). Returns once
# every program is RUNNING. Override the feed with GHTRADER_RECORD_* variables (see `ghtrader record --help`).
LIVE_DIR := $(CURDIR)/runs/daemons
LIVE_START_AT ?= 2025-03-03T21:00
LIVE_SPEED ?= 50
SUPERVISORCTL = $(VENV)/bin/supervisorctl -c daemons/supervisord.conf

live: setup
	@mkdir -p $(LIVE_DIR)/logs
	@if $(SUPERVISORCTL) pid > /dev/null 2>&1; then echo "supervisord already running: make live-status"; else \
		GHTRADER_LIVE_DIR=$(LIVE_DIR) GHTRADER_DATA_DIR=$(abspath $(DATA_DIR)) GHTRADER_RUNS_DIR=$(CURDIR)/runs \
		GHTRADER_RECORD_SOURCE=$${GHTRADER_RECORD_SOURCE:-sim} \
		GHTRADER_RECORD_START_AT=$${GHTRADER_RECORD_START_AT:-$(LIVE_START_AT)} \
		GHTRADER_RECORD_SPEED=$${GHTRADER_RECORD_SPEED:-$(LIVE_SPEED)} \
		GHTRADER_TRADE_MODE=$${GHTRADER_TRADE_MODE:-paper} GHTRADER_TRADE_SOURCE=$${GHTRADER_TRADE_SOURCE:-sim} \
		GHTRADER_TRADE_START_AT=$${GHTRADER_TRADE_START_AT:-$(LIVE_START_AT)} \
		GHTRADER_TRADE_SPEED=$${GHTRADER_TRADE_SPEED:-$(LIVE_SPEED)} \
		PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/supervisord -c daemons/supervisord.conf; fi
	@# `status` exits 0 for STARTING too: wait until nothing is STARTING/BACKOFF (max 60 s)
	@for i in $$(seq 120); do out=$$($(SUPERVISORCTL) status 2>&1) && ! grep -qE 'STARTING|BACKOFF' <<< "$$out" && break; sleep 0.5; done
	@$(SUPERVISORCTL) status

live-status:
	@$(SUPERVISORCTL) status

live-stop:
	@$(SUPERVISORCTL) shutdown

# Two pytest-xdist workers (one per core of the reference machine); tests sharing an Airflow DB or a
# QuestDB server stay on one worker (--dist loadgroup); sim lakes are built once per run
# (ghtrader.testing.shared). The 15 slowest tests are listed at the end. TEST_WORKERS=0: no xdist.
TEST_WORKERS ?= 2
test: setup
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=15

# QuestDB built from public source (../shared/tools/questdb, 9.3.3-SNAPSHOT) needs a Java 17+ runtime.
QUESTDB_RUN ?= $(abspath ../shared/tools/questdb/run.sh)
questdb-runtime:
	@if java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then :; else \
		echo "installing openjdk-17-jre-headless (QuestDB's runtime)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless > /dev/null; \
	fi

# Only the `questdb` tests, against a QuestDB the test session starts (and stops) on free ports.
test-questdb: setup questdb-runtime
	GHTRADER_TEST_QUESTDB_SERVER=$(QUESTDB_RUN) $(PY) -m pytest -q -m questdb -rs

lint: setup
	$(VENV)/bin/ruff check ghtrader tests benchmarks dags plugins
	$(VENV)/bin/ruff format --check ghtrader tests benchmarks dags plugins
	$(VENV)/bin/mypy ghtrader

# bench_questdb.py starts its own QuestDB when ../shared/tools/questdb and a Java runtime are present.
bench: setup
	@mkdir -p benchmarks/results
	@QDB=$$( [ -f $(QUESTDB_RUN) ] && command -v java > /dev/null && echo $(QUESTDB_RUN) ); \
	for f in benchmarks/bench_*.py; do echo "== $$f"; \
		GHTRADER_TEST_QUESTDB_SERVER=$${GHTRADER_TEST_QUESTDB_SERVER:-$$QDB} $(PY) $$f || exit 1; done
	@echo "results in benchmarks/results/"

clean:
	rm -rf $(DATA_DIR) runs .pytest_cache .mypy_cache .ruff_cache
