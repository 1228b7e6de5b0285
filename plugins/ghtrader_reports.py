"""Airflow UI links to ghTrader's HTML reports (evaluation, GX Data Docs, audit) under runs_dir."""

from __future__ import annotations

from pathlib import Path

from airflow.plugins_manager import AirflowPlugin

from ghtrader.config import load_settings
from ghtrader.pipeline.web import create_app

_runs_dir = Path(load_settings().runs_dir).resolve()


class GhtraderReportsPlugin(AirflowPlugin):
    name = "ghtrader_reports"
    fastapi_apps = [{"app": create_app(_runs_dir), "url_prefix": "/ghtrader", "name": "ghTrader reports"}]
    external_views = [
        {
            "name": "ghTrader reports",
            "href": "ghtrader/",
            "destination": "nav",
            "url_route": "ghtrader_reports",
        },
        {"name": "Reports", "href": "ghtrader/", "destination": "dag", "url_route": "ghtrader_dag_reports"},
    ]
