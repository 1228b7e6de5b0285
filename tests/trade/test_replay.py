"""Replay = research: the runner over stored ticks fills exactly like ``backtest --champion``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ghtrader.backtest.champion import backtest_model
from ghtrader.features.registry import FeatureConfig
from ghtrader.labels.core import LabelConfig
from ghtrader.market.contracts import ContractBook
from ghtrader.trade.champion import Expected
from ghtrader.trade.eventlog import EVENTS_NAME, comparable, read_records, verify
from ghtrader.trade.replay import replay_ticks

SYMBOL = "KQ.m@SHFE.cu"
EXPECTED = Expected(FeatureConfig(), LabelConfig())
NS_MIN = 60 * 10**9


def run(window: SimpleNamespace, book: ContractBook, run_dir: Path) -> dict:
    return replay_ticks(
        window.ticks, window.state, var="cu", symbol=SYMBOL, mode="sim", champion=window.champion,
        expected=EXPECTED, book=book, run_dir=run_dir, run_id=run_dir.name,
    )  # fmt: skip


def fills_of(records: list[dict]) -> pd.DataFrame:
    rows = [{"ts": r["ts"], **f} for r in records if r["kind"] == "fill" for f in r["fills"]]
    return pd.DataFrame(rows, columns=["ts", "side", "qty", "price", "fee", "action", "forced"])


def test_replay_equals_champion_backtest(window: SimpleNamespace, book: ContractBook, tmp_path: Path) -> None:
    summary = run(window, book, tmp_path / "r1")
    records = read_records(tmp_path / "r1" / EVENTS_NAME)
    assert verify(tmp_path / "r1" / EVENTS_NAME).ok
    bt = backtest_model(
        window.ticks, window.champion.model, window.champion.meta, features=EXPECTED.features,
        state=window.state, book=book,
    )  # fmt: skip
    trades = bt.result.trades
    assert len(trades) >= 4, "the test model must trade in this window"
    got = fills_of(records)
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
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    assert summary["net_pnl"] == bt.result.metrics["net_pnl"]  # exact, not just to the cent
    decisions = [r for r in records if r["kind"] == "decision"]
    assert len(decisions) == len(window.ticks)  # one decision per tick, none missed
    free = np.array(["why" not in r for r in decisions])  # block-end ticks: the runner logs the flatten
    assert np.array_equal(np.array([r["target"] for r in decisions])[free], bt.target[free])
    assert np.array_equal(np.array([r["p"] for r in decisions]), bt.proba)  # bit for bit
    assert not [r for r in records if r["kind"] == "order" and r["clamped"]]
    assert any(r["kind"] == "roll" for r in records)
    assert not [r for r in records if r["kind"] == "risk_reject" and "session" not in r["reason"]]


def test_two_replays_identical(window: SimpleNamespace, book: ContractBook, tmp_path: Path) -> None:
    run(window, book, tmp_path / "a")
    run(window, book, tmp_path / "a2")
    ra = read_records(tmp_path / "a" / EVENTS_NAME)
    rb = read_records(tmp_path / "a2" / EVENTS_NAME)
    strip = [
        {k: v for k, v in r.items() if k not in ("run_id", "run_dir", "client_id")} for r in comparable(ra)
    ]
    strip_b = [
        {k: v for k, v in r.items() if k not in ("run_id", "run_dir", "client_id")} for r in comparable(rb)
    ]
    assert strip == strip_b
