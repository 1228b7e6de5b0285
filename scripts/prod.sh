#!/usr/bin/env bash
# Production mode on one machine: `make prod-up` / `make prod-down` / `make prod-status`.
# PostgreSQL (metadata DB) + Redis (Celery broker) + Airflow 3 with CeleryExecutor (two workers:
# queues `default` and `tqsdk`) + scheduler, dag-processor, triggerer, api-server with a real login,
# StatsD->Prometheus bridge, Prometheus, and the live daemons — all under one supervisord
# (daemons/prod/supervisord.conf), all on 127.0.0.1. Idempotent: `up` twice is a no-op.
# State lives in $GHTRADER_PROD_DIR (default runs/prod): pg/, redis/, prometheus/, logs/, airflow_home/.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
eval "$("$VENV/bin/python" -m ghtrader.pipeline.airflow_env --prod)"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$(cd "$VENV" && pwd)/bin:$PATH" GHTRADER_LIVE_DIR="$GHTRADER_PROD_DIR/daemons"
# the live daemons (daemons/programs/*.conf) take their options from the environment, as in `make live`
export GHTRADER_RECORD_SOURCE=${GHTRADER_RECORD_SOURCE:-sim} GHTRADER_RECORD_START_AT=${GHTRADER_RECORD_START_AT:-2025-03-03T21:00}
export GHTRADER_RECORD_SPEED=${GHTRADER_RECORD_SPEED:-50} GHTRADER_TRADE_MODE=${GHTRADER_TRADE_MODE:-paper}
export GHTRADER_TRADE_SOURCE=${GHTRADER_TRADE_SOURCE:-sim} GHTRADER_TRADE_START_AT=${GHTRADER_TRADE_START_AT:-2025-03-03T21:00}
export GHTRADER_TRADE_SPEED=${GHTRADER_TRADE_SPEED:-50}
export GHTRADER_DASHBOARD_DAEMONS=${GHTRADER_DASHBOARD_DAEMONS:-recorder=http://127.0.0.1:9108,trade-runner=http://127.0.0.1:9109}
CONF=daemons/prod/supervisord.conf
CTL=("$VENV/bin/supervisorctl" -c "$CONF")
PGBIN=/usr/lib/postgresql/15/bin

need_packages() {
  local missing=()
  [ -x "$PGBIN/postgres" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v prometheus >/dev/null || missing+=(prometheus)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages; their system services are not used)"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

as_pg() { runuser -u postgres -- "$@"; }

init_pg() {
  local pg="$GHTRADER_PROD_DIR/pg"
  mkdir -p "$GHTRADER_PROD_DIR/pgsock" && chown postgres "$GHTRADER_PROD_DIR/pgsock"
  if [ ! -f "$pg/PG_VERSION" ]; then
    mkdir -p "$pg" && chown postgres "$pg" && chmod 700 "$pg"
    as_pg "$PGBIN/initdb" -D "$pg" -U postgres --auth-local=trust --auth-host=trust -E UTF8 >/dev/null
    echo "listen_addresses = '127.0.0.1'" >> "$pg/postgresql.conf"
  fi
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local t=$1 what=$2; shift 2
  for _ in $(seq "$t"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "timed out waiting for $what" >&2; return 1
}

up() {
  need_packages
  mkdir -p "$GHTRADER_PROD_DIR"/{logs,redis,prometheus,daemons/logs} "$AIRFLOW_HOME"
  chmod 711 "$GHTRADER_PROD_DIR"  # postgres (its own user) must reach pg/ and pgsock/
  init_pg
  if ! "${CTL[@]}" pid >/dev/null 2>&1; then "$VENV/bin/supervisord" -c "$CONF"; fi
  wait_for 60 postgres "$PGBIN/pg_isready" -h 127.0.0.1 -p "$GHTRADER_PG_PORT"
  as_pg psql -h "$GHTRADER_PROD_DIR/pgsock" -p "$GHTRADER_PG_PORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname='airflow'" | grep -q 1 \
    || as_pg psql -h "$GHTRADER_PROD_DIR/pgsock" -p "$GHTRADER_PG_PORT" -qc "CREATE ROLE airflow LOGIN"
  as_pg psql -h "$GHTRADER_PROD_DIR/pgsock" -p "$GHTRADER_PG_PORT" -tAc "SELECT 1 FROM pg_database WHERE datname='airflow'" | grep -q 1 \
    || as_pg psql -h "$GHTRADER_PROD_DIR/pgsock" -p "$GHTRADER_PG_PORT" -qc "CREATE DATABASE airflow OWNER airflow"
  airflow db migrate > "$GHTRADER_PROD_DIR/logs/migrate.log" 2>&1 || { tail -20 "$GHTRADER_PROD_DIR/logs/migrate.log"; exit 1; }
  airflow pools set tqsdk "${GHTRADER_TQSDK_SLOTS:-4}" "TqSdk API concurrency" >/dev/null
  for v in cu au ag; do airflow pools set "ghtrader_$v" 1 "serializes runs of $v" >/dev/null; done
  "$VENV/bin/python" -m ghtrader.pipeline.airflow_env --ensure-passwords  # never printed by Airflow
  "${CTL[@]}" start airflow:* >/dev/null || true
  wait_for 600 "the Airflow API server" curl -sf "http://127.0.0.1:$GHTRADER_AIRFLOW_PORT/api/v2/monitor/health"
  echo "ghTrader production mode is up (supervisorctl -c $CONF status):"
  "${CTL[@]}" status || true
  echo "Airflow UI:  http://127.0.0.1:$GHTRADER_AIRFLOW_PORT   (users: ${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS})"
  echo "passwords:   $AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
  echo "Prometheus:  http://127.0.0.1:$GHTRADER_PROMETHEUS_PORT   dashboard: http://127.0.0.1:$GHTRADER_AIRFLOW_PORT/ghtrader/"
}

down() {
  if "${CTL[@]}" pid >/dev/null 2>&1; then
    "${CTL[@]}" stop all >/dev/null || true
    "${CTL[@]}" shutdown >/dev/null || true
    echo "ghTrader production mode stopped (state kept in $GHTRADER_PROD_DIR)"
  else
    echo "ghTrader production mode is not running"
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) "${CTL[@]}" status ;;
  env) "$VENV/bin/python" -m ghtrader.pipeline.airflow_env --prod ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
