"""Walk-forward: no training on test days, deterministic runs, predictions layout, baselines."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghtrader.evaluation import EvalConfig, TrainResult, train
from ghtrader.evaluation.data import EvalData, load_eval_data
from ghtrader.evaluation.walkforward import evaluate_model, make_splits, train_rows
from ghtrader.features.sets import artifact_feature_config, feature_set
from ghtrader.market.contracts import ContractBook
from ghtrader.promotion.gates import PromotionGates, gate_checks

SYMBOL = "KQ.m@SHFE.cu"
CONFIG = EvalConfig(min_train_days=2, test_days=1, n_splits=5, train_stride=50, latency_rows=500)
FAST_LGBM = {"n_estimators": 15, "num_leaves": 15}


@pytest.fixture(scope="module")
def data(sim_data_dir: Path) -> EvalData:
    return load_eval_data(sim_data_dir / "lake_v2", SYMBOL, horizon=50)


def test_splits_and_train_rows_stay_before_test(data: EvalData) -> None:
    splits = make_splits(data.xy.days, CONFIG)
    assert len(splits) == 5 and len(data.xy.days) == 8
    days = data.day_array
    for s in splits:
        tr = train_rows(data, s.train_days, CONFIG.train_stride)
        assert len(tr) > 0 and np.all(data.xy.y[tr] >= 0)
        assert set(days[tr]) <= set(s.train_days)
        assert max(days[tr]) < min(s.purge_days) <= max(s.purge_days) < min(s.test_days)


def test_predictions_ignore_test_day_labels(data: EvalData) -> None:
    """Scrambling every label from a split's purge gap onwards must not change that split's predictions."""
    splits = make_splits(data.xy.days, CONFIG)
    base = evaluate_model("logistic", data, splits, CONFIG, {"max_iter": 50}).predictions
    k = 2
    future = data.day_array >= splits[k].purge_days[0]
    y = data.xy.y.copy()
    y[future & (y >= 0)] = (y[future & (y >= 0)] + 1) % 3
    poisoned = dataclasses.replace(data, xy=dataclasses.replace(data.xy, y=y))
    again = evaluate_model("logistic", poisoned, splits, CONFIG, {"max_iter": 50}).predictions
    cols = ["p_down", "p_flat", "p_up"]
    for s in range(k + 1):
        np.testing.assert_array_equal(again.loc[again.split == s, cols], base.loc[base.split == s, cols])
    assert not np.array_equal(again.loc[again.split == k + 1, cols], base.loc[base.split == k + 1, cols])


def test_train_twice_identical(
    sim_data_dir: Path, tmp_path: Path, book: ContractBook, data: EvalData
) -> None:
    lake = sim_data_dir / "lake_v2"
    first = train(lake, SYMBOL, "lgbm", runs_dir=tmp_path, book=book, config=CONFIG, params=FAST_LGBM)
    metrics = (first.run_dir / "metrics.json").read_bytes()
    preds = (first.run_dir / "predictions.parquet").read_bytes()
    second = train(lake, SYMBOL, "lgbm", runs_dir=tmp_path, book=book, config=CONFIG, params=FAST_LGBM)
    assert second.run_dir == first.run_dir
    assert first.run_dir.relative_to(tmp_path).parts[:4] == ("models", SYMBOL, "lgbm", "h50")
    assert (second.run_dir / "metrics.json").read_bytes() == metrics
    assert (second.run_dir / "predictions.parquet").read_bytes() == preds
    assert sorted(os.listdir(first.run_dir)) == [
        "meta.json",
        "metrics.json",
        "model.joblib",
        "predictions.parquet",
        "timing.json",
    ]
    meta = json.loads((first.run_dir / "meta.json").read_text())
    assert meta["config"]["train_stride"] == 50
    assert meta["signal"]["threshold"] == meta["decision"]["threshold"] in meta["decision"]["grid"]  # tuned
    assert "out-of-sample" in meta["signal"]["source"]
    assert [d["split"] for d in meta["decision"]["per_split"]] == list(range(5))
    # the fields promotion gates read (ghtrader.promotion.gates): none may be missing
    checks = gate_checks(meta, None, PromotionGates())
    assert checks and all(c.value is not None for c in checks), [c.reason() for c in checks]
    assert meta["metrics"]["backtest"]["trade_count"] >= 0 and meta["metrics"]["latency_us_per_row"] > 0
    assert meta["created_from"]["command"] == "train" and isinstance(meta["code_commit"], str)
    assert meta["feature_set"]["name"] == "core" and meta["feature_set"]["hash"] == feature_set("core").hash
    assert artifact_feature_config(meta) == feature_set("core")
    _check_predictions_and_baselines(first, data)


def _check_predictions_and_baselines(res: TrainResult, data: EvalData) -> None:
    p = pd.read_parquet(res.run_dir / "predictions.parquet")
    assert list(p.columns) == [
        "datetime_ns",
        "trading_day",
        "segment_id",
        "p_down",
        "p_flat",
        "p_up",
        "y",
        "split",
    ]
    splits = make_splits(data.xy.days, CONFIG)
    for i, s in enumerate(splits):
        assert sorted(set(p.loc[p.split == i, "trading_day"])) == list(s.test_days)
    test_rows = np.isin(data.day_array, [d for s in splits for d in s.test_days])
    assert len(p) == int(test_rows.sum())  # every test row, labelled or not
    assert p["y"].isna().sum() == int((data.xy.y[test_rows] < 0).sum()) > 0
    maj, orc = res.baselines["majority"], res.baselines["oracle"]
    assert all(sum(row[1] for row in m["confusion"]) == m["n"] for m in maj.per_split)  # always FLAT
    assert orc.available and orc.summary["macro_f1_mean"] > maj.summary["macro_f1_mean"]
    assert orc.summary["log_loss_mean"] is None


def test_oracle_unavailable_without_sidecar(sim_data_dir: Path, tmp_path: Path, book: ContractBook) -> None:
    lake = tmp_path / "lake_v2"
    lake.mkdir()
    for name in ("main_l5", "features", "labels"):  # a lake like real data: no sim_latent sidecar
        (lake / name).symlink_to(sim_data_dir / "lake_v2" / name)
    res = train(
        lake,
        SYMBOL,
        "logistic",
        runs_dir=tmp_path / "runs",
        book=book,
        config=CONFIG,
        params={"max_iter": 50},
    )
    assert not res.baselines["oracle"].available and "sidecar" in res.baselines["oracle"].reason
    assert res.baselines["majority"].available
