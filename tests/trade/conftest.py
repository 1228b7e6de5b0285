from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from ghtrader.testing.champion import make_champion, train_model
from ghtrader.testing.simlake import shared_test_lake


@pytest.fixture(scope="session")
def sim_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_test_lake(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def trained(sim_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Two small trained models (lgbm, logistic) under one runs dir; lgbm is the champion."""
    runs = tmp_path_factory.mktemp("trade_runs")
    lgbm = train_model(sim_data_dir, runs, model="lgbm")
    logistic = train_model(sim_data_dir, runs, model="logistic", params={"max_iter": 50})
    make_champion(runs, lgbm)
    return SimpleNamespace(runs=runs, lgbm=lgbm, logistic=logistic, data=sim_data_dir)
