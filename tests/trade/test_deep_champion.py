"""A deep (window) champion: the runner serves it through ONNX and decides exactly like research."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ghtrader.backtest.champion import backtest_config_from, backtest_model, tick_flags, window_base
from ghtrader.evaluation.data import available_days
from ghtrader.features.build import per_row_spec
from ghtrader.features.engine import compute_matrix, tick_inputs
from ghtrader.features.registry import FeatureConfig, feature_columns
from ghtrader.features.sets import feature_set
from ghtrader.labels.core import LabelConfig
from ghtrader.market.contracts import ContractBook
from ghtrader.testing.champion import make_champion, train_model
from ghtrader.testing.deep import tiny_params
from ghtrader.trade.champion import ChampionRefused, Expected, load_champion
from ghtrader.trade.eventlog import EVENTS_NAME, read_records, verify
from ghtrader.trade.predict import Predictor
from ghtrader.trade.replay import market_ticks, replay_ticks

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

SYMBOL = "KQ.m@SHFE.cu"
EXPECTED = Expected(FeatureConfig(), LabelConfig())


@pytest.fixture(scope="module")
def deep(sim_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A tiny TCN on book + factors, walk-forward trained (6 days, 1 epoch) and promoted as the champion."""
    runs = tmp_path_factory.mktemp("deep_runs")
    days = available_days(sim_data_dir / "lake_v2", SYMBOL)[:6]
    params = tiny_params("tcn", inputs="book+factors", epochs=1, max_train_windows=300)
    run_dir = train_model(sim_data_dir, runs, model="tcn", params=params, threshold=0.1, days=days)
    make_champion(runs, run_dir)
    return SimpleNamespace(runs=runs, run_dir=run_dir, champion=load_champion(runs, "cu", EXPECTED))


def fills_of(records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [{"ts": r["ts"], **f} for r in records if r["kind"] == "fill" for f in r["fills"]]
    return pd.DataFrame(rows, columns=["ts", "side", "qty", "price", "fee", "action", "forced"])


def test_replay_equals_research_for_a_deep_champion(
    deep: SimpleNamespace, window_ticks: SimpleNamespace, book: ContractBook, tmp_path: Path
) -> None:
    champ = deep.champion
    assert champ.input_kind == "windows" and champ.model.backend == "onnx" and champ.meta["model"] == "tcn"
    ticks = window_ticks.ticks
    summary = replay_ticks(
        ticks, window_ticks.state, var="cu", symbol=SYMBOL, mode="sim", champion=champ, expected=EXPECTED,
        book=book, run_dir=tmp_path / "r", run_id="r",
    )  # fmt: skip
    records = read_records(tmp_path / "r" / EVENTS_NAME)
    assert verify(tmp_path / "r" / EVENTS_NAME).ok
    bt = backtest_model(
        ticks, champ.model, champ.meta, features=EXPECTED.features, state=window_ticks.state, book=book
    )
    trades = bt.result.trades
    assert len(trades) >= 10, "the test model must trade in this window"
    want = pd.DataFrame(
        {
            "ts": trades["datetime_ns"].to_numpy(np.int64),
            "side": trades["side"].astype(str).to_numpy(),
            "qty": trades["qty"].to_numpy(np.int64),
            "price": trades["price"].to_numpy(),
            "fee": trades["fee"].to_numpy(),
            "action": trades["action"].astype(str).to_numpy(),
            "forced": trades["forced"].to_numpy(bool),
        }
    )
    pd.testing.assert_frame_equal(fills_of(records).reset_index(drop=True), want, check_dtype=False)
    assert summary["net_pnl"] == bt.result.metrics["net_pnl"]
    decisions = [r for r in records if r["kind"] == "decision"]
    assert len(decisions) == len(ticks)
    free = np.array(["why" not in r for r in decisions])
    assert np.array_equal(np.array([r["target"] for r in decisions])[free], bt.target[free])
    p = np.array([[np.nan if v is None else v for v in r["p"]] for r in decisions])
    # no decision until the window is full: the first seq_len - 1 ticks of each (day, segment) run
    runs = ticks.groupby(["trading_day", "segment_id"], sort=False).ngroup().to_numpy()
    assert len(np.unique(runs)) == 2  # the day close of cu2504, then cu2505 after the roll
    first = np.r_[True, runs[1:] != runs[:-1]]
    pos = np.arange(len(ticks)) - np.maximum.accumulate(np.where(first, np.arange(len(ticks)), 0))
    warm = pos < champ.model.seq_len - 1
    assert np.array_equal(np.isnan(p).any(axis=1), warm) and np.array_equal(
        np.isnan(bt.proba).any(axis=1), warm
    )
    assert [r.get("warmup") is not None for r in decisions] == warm.tolist()
    assert not np.array([r["target"] for r in decisions])[warm].any()
    assert np.abs(p[~warm] - bt.proba[~warm]).max() <= 1e-5  # ONNX one window vs a batch of windows
    assert [r["ts"] for r in records if r["kind"] == "model_warmup"] == ticks["datetime_ns"][first].tolist()


class Recording:
    """Wrap a serving model; remember every window the runner asks about."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.seen = inner, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def predict_proba_one(self, x: np.ndarray) -> np.ndarray:
        self.seen.append(np.array(x))
        return self.inner.predict_proba_one(x)


@pytest.mark.parametrize("infer_every", [1, 3])
def test_runner_windows_are_the_research_windows(
    deep: SimpleNamespace, window_ticks: SimpleNamespace, book: ContractBook, infer_every: int
) -> None:
    """Bit for bit: the rolling window equals the batch window of the same tick (book block + factors),
    and it is fed on every tick even when inference runs only every ``infer_every`` ticks."""
    ticks = window_ticks.ticks.iloc[:600].reset_index(drop=True)
    champ = deep.champion
    rec = Recording(champ.model)
    pred = Predictor(dataclasses.replace(champ, model=rec), tuple(feature_columns(EXPECTED.features)))
    pt, vm = per_row_spec(ticks, book)
    values = compute_matrix(*tick_inputs(ticks, pt, vm), EXPECTED.features, window_ticks.state.copy())
    base, ends = window_base(ticks, values, champ.model, EXPECTED.features)
    last, nxt = tick_flags(ticks, backtest_config_from(champ.meta))
    asked = []
    for i, t in enumerate(market_ticks(ticks, book, last, nxt)):
        if pred.step(values[i], t, i % infer_every == 0) is not None and pred.warmup() is None:
            asked.append(i)
    want = [e for e in ends if e % infer_every == 0]
    assert asked == want and len(want) > 100
    seq = champ.model.seq_len
    for i, got in zip(asked, rec.seen, strict=True):
        assert np.array_equal(got, base[i - seq + 1 : i + 1], equal_nan=True)  # NaN: factor undefined


def test_deep_champion_refused_on_other_inputs(deep: SimpleNamespace, tmp_path: Path) -> None:
    with pytest.raises(ChampionRefused, match="feature config hash"):
        load_champion(deep.runs, "cu", Expected(feature_set("full"), LabelConfig()))
    with pytest.raises(ChampionRefused, match="label config hash"):
        load_champion(deep.runs, "cu", Expected(FeatureConfig(), LabelConfig(k=2.0)))
    runs = tmp_path / "runs"
    tampered = tmp_path / "tampered"
    shutil.copytree(deep.run_dir, tampered)
    (tampered / "model.onnx").write_bytes((tampered / "model.onnx").read_bytes() + b"x")
    make_champion(runs, tampered)
    with pytest.raises(ChampionRefused, match="changed since it was saved"):
        load_champion(runs, "cu", EXPECTED)
