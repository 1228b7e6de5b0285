"""Threshold honesty: each split's threshold comes only from out-of-sample rows of its train days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghtrader.evaluation import EvalConfig, SignalConfig, train
from ghtrader.evaluation.backtest import load_ticks
from ghtrader.evaluation.data import load_eval_data
from ghtrader.evaluation.decision import THRESHOLD_GRID, thresholds_per_tick, tune_decisions
from ghtrader.evaluation.walkforward import evaluate_model, inner_tail, make_splits
from ghtrader.market.contracts import ContractBook
from ghtrader.models.serving import load_serving_model
from ghtrader.store.lake import ParquetLake

SYMBOL = "KQ.m@SHFE.cu"
CONFIG = EvalConfig(min_train_days=2, test_days=1, n_splits=5, train_stride=50, latency_rows=500)


@pytest.fixture(scope="module")
def oos(sim_data_dir: Path) -> tuple:
    lake = sim_data_dir / "lake_v2"
    data = load_eval_data(lake, SYMBOL, horizon=50)
    splits = make_splits(data.xy.days, CONFIG)
    ev = evaluate_model("logistic", data, splits, CONFIG, {"max_iter": 50})
    frame = pd.concat([ev.tuning, ev.predictions], ignore_index=True)
    days = sorted({pd.Timestamp(d).date() for d in frame["trading_day"]})
    return splits, frame, load_ticks(ParquetLake(lake), SYMBOL, days)


def test_thresholds_come_from_train_days_only(oos: tuple, book: ContractBook) -> None:
    splits, frame, ticks = oos
    dec = tune_decisions(ticks, frame, splits, book=book, signal=SignalConfig())
    assert inner_tail(splits[0], CONFIG)[1]  # the first split tunes on its inner tail
    for s, d in zip(splits, dec["per_split"], strict=True):
        assert d["threshold"] in THRESHOLD_GRID and d["days"]
        tuned_on = {dt.date.fromisoformat(x) for x in d["days"]}
        assert tuned_on <= set(s.train_days) and max(tuned_on) < min(s.test_days)
    assert dec["threshold"] in THRESHOLD_GRID and "future" in dec["source"]


def test_scrambling_later_predictions_keeps_earlier_thresholds(oos: tuple, book: ContractBook) -> None:
    """Predictions of split k's test days (and later) must not move the thresholds of splits <= k."""
    splits, frame, ticks = oos
    base = tune_decisions(ticks, frame, splits, book=book, signal=SignalConfig())
    k = 2
    poisoned = frame.copy()
    late = poisoned["split"].to_numpy() >= k
    poisoned.loc[late, ["p_down", "p_up"]] = poisoned.loc[late, ["p_up", "p_down"]].to_numpy()
    again = tune_decisions(ticks, poisoned, splits, book=book, signal=SignalConfig())
    for i in range(k + 1):
        assert again["per_split"][i] == base["per_split"][i]
    per_tick = thresholds_per_tick(ticks, splits, base["per_split"])
    assert np.isnan(per_tick).sum() > 0 and np.isfinite(per_tick).sum() > 0  # inner-tail days: no test


def test_fixed_threshold_is_recorded_as_fixed(oos: tuple, book: ContractBook) -> None:
    splits, frame, ticks = oos
    dec = tune_decisions(ticks, frame, splits, book=book, signal=SignalConfig(threshold=0.3))
    assert dec["threshold"] == 0.3 and {d["source"] for d in dec["per_split"]} == {"fixed by caller"}


def test_deep_model_walk_forward_and_serving(sim_data_dir: Path, tmp_path: Path, book: ContractBook) -> None:
    """A tiny TCN through train(): windows, tuned thresholds, ONNX artifact served like the champion."""
    from ghtrader.testing.deep import tiny_params

    params = tiny_params("tcn", inputs="book+factors", max_train_windows=300, epochs=1)
    res = train(
        sim_data_dir / "lake_v2", SYMBOL, "tcn", runs_dir=tmp_path, book=book, config=CONFIG, params=params
    )
    preds = pd.read_parquet(res.run_dir / "predictions.parquet")
    assert not preds[["p_down", "p_flat", "p_up"]].isna().any().any()  # padded windows: every test tick
    served = load_serving_model(res.run_dir)
    assert served.threshold == res.decision["threshold"] and served.columns[:2] == ("ask1_relp", "ask1_logv")
    assert any(c.startswith("f_") for c in served.columns)
    assert 0 < res.scores.summary["macro_f1_mean"] < 1
