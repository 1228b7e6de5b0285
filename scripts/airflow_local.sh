#!/usr/bin/env bash
# Run this repo's Airflow locally, every server on 127.0.0.1: api-server (UI :8080), scheduler,
# dag-processor, triggerer. The log servers (which Airflow binds to all interfaces) are skipped:
# LocalExecutor reads task logs from local files. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python -m ghtrader.pipeline.airflow_env)"
# local demo only: no login (never set this outside a loopback-only demo)
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS:-True}
mkdir -p "$AIRFLOW_HOME/logs"
AF=.venv/bin/airflow
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
$AF api-server --host 127.0.0.1 --port "${AIRFLOW_PORT:-8080}" > "$AIRFLOW_HOME/logs/api-server.log" 2>&1 & pids+=($!)
$AF scheduler --skip-serve-logs > "$AIRFLOW_HOME/logs/scheduler.log" 2>&1 & pids+=($!)
$AF dag-processor > "$AIRFLOW_HOME/logs/dag-processor.log" 2>&1 & pids+=($!)
$AF triggerer --skip-serve-logs > "$AIRFLOW_HOME/logs/triggerer.log" 2>&1 & pids+=($!)
echo "Airflow UI: http://127.0.0.1:${AIRFLOW_PORT:-8080}  (logs in $AIRFLOW_HOME/logs; Ctrl-C to stop)"
wait -n "${pids[@]}"
echo "an Airflow process exited; see $AIRFLOW_HOME/logs" >&2
exit 1
