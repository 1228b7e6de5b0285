"""The ghTrader dashboard in the Airflow UI: runs, DQ, champions, daemons, reports (all behind login).

Configuration is read here, at the entry point: ``GHTRADER_RUNS_DIR`` (settings),
``GHTRADER_SUPERVISOR_SOCKET`` (the live daemons' supervisord socket) and
``GHTRADER_DASHBOARD_DAEMONS`` (``name=http://127.0.0.1:port,...`` for /healthz and /metrics).
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.api_fastapi.core_api.security import requires_authenticated
from airflow.plugins_manager import AirflowPlugin

from ghtrader.config import load_settings
from ghtrader.pipeline.dashboard import DaemonSpec
from ghtrader.pipeline.web import create_app
from ghtrader.pipeline.web_auth import EmptyLoginBodyMiddleware

_runs_dir = Path(load_settings().runs_dir).resolve()
_socket = os.environ.get("GHTRADER_SUPERVISOR_SOCKET")
_app = create_app(
    _runs_dir,
    daemons=DaemonSpec.parse_list(os.environ.get("GHTRADER_DASHBOARD_DAEMONS")),
    supervisor_socket=Path(_socket) if _socket else None,
    auth=requires_authenticated(),
)


class GhtraderReportsPlugin(AirflowPlugin):
    name = "ghtrader_reports"
    fastapi_apps = [{"app": _app, "url_prefix": "/ghtrader", "name": "ghTrader dashboard"}]
    fastapi_root_middlewares = [
        {"middleware": EmptyLoginBodyMiddleware, "args": [], "kwargs": {}, "name": "ghtrader_login_body"}
    ]
    external_views = [
        {"name": "ghTrader", "href": "ghtrader/", "destination": "nav", "url_route": "ghtrader_dashboard"},
        {
            "name": "ghTrader runs",
            "href": "ghtrader/?dag_id={DAG_ID}",
            "destination": "dag",
            "url_route": "ghtrader_dag_runs",
        },
        {
            "name": "ghTrader report",
            "href": "ghtrader/?dag_id={DAG_ID}&run_id={RUN_ID}",
            "destination": "dag_run",
            "url_route": "ghtrader_run_report",
        },
    ]
