"""Airflow runs against a throw-away home (SQLite) so tests never touch the developer's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ghtrader.pipeline.airflow_env import REPO, airflow_env


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("airflow_home")
    env = airflow_env(REPO, home)
    os.environ.update(env)
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=os.environ.copy())
    return home


@pytest.fixture(scope="session")
def dagbag(airflow_home: Path):  # noqa: ANN201
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))
