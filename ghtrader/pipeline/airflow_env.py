"""Environment for running this repo's Airflow locally (SQLite, LocalExecutor, loopback only).

Usage: ``eval "$(python -m ghtrader.pipeline.airflow_env)"`` (the Makefile does this) or
``airflow_env(repo)`` from tests. Airflow does not expand paths in a user ``airflow.cfg``; this
supplies the absolute ones.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def airflow_env(repo: Path = REPO, home: Path | None = None) -> dict[str, str]:
    """Variables that point Airflow at the repo's config, DAGs and plugins and a local home."""
    home = home or repo / "airflow_home"
    return {
        "AIRFLOW_CONFIG": str(repo / "airflow.cfg"),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(repo / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(repo / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }


if __name__ == "__main__":
    sys.stdout.write("".join(f"export {k}={shlex.quote(v)}\n" for k, v in airflow_env().items()))
