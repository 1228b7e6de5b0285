from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from ghtrader.backtest.champion import load_main_ticks, warm_state
from ghtrader.features.registry import FeatureConfig
from ghtrader.labels.core import LabelConfig
from ghtrader.store.lake import ParquetLake
from ghtrader.testing.champion import make_champion, train_model
from ghtrader.trade.champion import Expected, load_champion


@pytest.fixture(scope="session")
def trained(sim_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Two small trained models (lgbm, logistic) under one runs dir; lgbm is the champion."""
    runs = tmp_path_factory.mktemp("trade_runs")
    lgbm = train_model(sim_data_dir, runs, model="lgbm")
    logistic = train_model(sim_data_dir, runs, model="logistic", params={"max_iter": 50})
    make_champion(runs, lgbm)
    return SimpleNamespace(runs=runs, lgbm=lgbm, logistic=logistic, data=sim_data_dir)


@pytest.fixture(scope="session")
def window(trained: SimpleNamespace, window_ticks: SimpleNamespace) -> SimpleNamespace:
    """``window_ticks`` with the lgbm champion."""
    champion = load_champion(trained.runs, "cu", EXPECTED)
    return SimpleNamespace(ticks=window_ticks.ticks, state=window_ticks.state, champion=champion)


@pytest.fixture(scope="session")
def window_ticks(sim_data_dir: Path) -> SimpleNamespace:
    """The close of 2025-03-17 (cu2504) and the first minutes after the roll to cu2505."""
    lake = ParquetLake(sim_data_dir / "lake_v2")
    d0, d1 = dt.date(2025, 3, 17), dt.date(2025, 3, 18)
    ticks = load_main_ticks(lake, SYMBOL, d0, d1)
    day = ticks["trading_day"]
    end0 = ticks.loc[day == d0, "datetime_ns"].max()
    start1 = ticks.loc[day == d1, "datetime_ns"].min()
    ns = ticks["datetime_ns"]
    keep = ((day == d0) & (ns > end0 - 12 * NS_MIN)) | ((day == d1) & (ns < start1 + 12 * NS_MIN))
    ticks = ticks.loc[keep].reset_index(drop=True)
    state = warm_state(lake, SYMBOL, d0, EXPECTED.features)
    return SimpleNamespace(ticks=ticks, state=state)


SYMBOL = "KQ.m@SHFE.cu"
EXPECTED = Expected(FeatureConfig(), LabelConfig())
NS_MIN = 60 * 10**9
