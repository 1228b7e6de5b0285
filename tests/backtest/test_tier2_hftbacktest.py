"""The lake -> hftbacktest converter, and agreement with hftbacktest 2.4.4 on the real fixture."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghtrader.backtest.tier2.hftconvert import (
    BUY_EVENT,
    DEPTH_EVENT,
    EVENT_DTYPE,
    TRADE_EVENT,
    block_ranges,
    to_hftbacktest,
)
from ghtrader.backtest.tier2.snapshots import prepare
from ghtrader.market.contracts import ContractBook
from ghtrader.testing import real_tick_csv
from ghtrader.testing.books import Snap, snapshot_frame

HAVE_HFT = importlib.util.find_spec("hftbacktest") is not None


def test_event_order_and_no_clearing_beyond_visible_depth(hand_book: ContractBook) -> None:
    snaps = [
        Snap(100, 110, bids=(5, 6, 7, 8, 9)),
        Snap(120, 130, bids=(1, 1, 1, 1, 1), volume=4, last=110),  # asks lifted: bids 70, 60 now deep
        Snap(120, 130, bids=(2, 1, 1, 1, 1), volume=4),
    ]
    snap = prepare(snapshot_frame(snaps), hand_book)
    ev = to_hftbacktest(snap, 0, 3, 5_000_000)
    assert ev.dtype == EVENT_DTYPE and (ev["local_ts"] - ev["exch_ts"] == 5_000_000).all()
    second = ev[ev["exch_ts"] == snap.ts[1]]
    kinds = second["ev"] & np.uint64(0xFF)
    assert kinds[0] == TRADE_EVENT and second["px"][0] == 110.0 and second["qty"][0] == 4  # trades first
    assert (second["ev"][0] & np.uint64(BUY_EVENT)) != 0  # a buyer lifted the ask
    zero = second[(kinds == DEPTH_EVENT) & (second["qty"] == 0)]
    last_zero = np.flatnonzero((kinds == DEPTH_EVENT) & (second["qty"] == 0)).max()
    first_add = np.flatnonzero((kinds == DEPTH_EVENT) & (second["qty"] > 0)).min()
    assert last_zero < first_add  # removals before additions: no transient crossed book
    # asks 110 and 120 are gone (better than the new best 130); bids 70 and 60 only fell below the
    # visible five (new bid5 = 80): unknown, so no zero event clears them
    assert set(zero["px"]) == {110.0, 120.0} and not (zero["ev"] & np.uint64(BUY_EVENT)).any()
    third = ev[ev["exch_ts"] == snap.ts[2]]
    assert len(third) == 1 and third["px"][0] == 120.0 and third["qty"][0] == 2  # only the change
    assert block_ranges(snap) == [(0, 3)]


def test_dtype_matches_hftbacktest() -> None:
    types = pytest.importorskip("hftbacktest.types")
    assert types.event_dtype == EVENT_DTYPE


@pytest.mark.realdata
@pytest.mark.skipif(not HAVE_HFT, reason="hftbacktest not installed (extra: bench)")
def test_same_fills_as_hftbacktest_on_real_ticks(real_data: Path, hand_book: ContractBook) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import bench_tier2_hftbacktest as bench

    real = pd.read_csv(real_tick_csv(real_data)).rename(columns={"datetime_nano": "datetime_ns"})
    real["trading_day"] = dt.date(2019, 9, 12)
    snap = prepare(real, hand_book)
    assert snap.trade_qty.sum() == (real["volume"].iloc[-1] - real["volume"].iloc[0]) / 2  # 2019: halved
    ours, _, _ = bench.run_ghtrader(snap, hand_book)
    theirs, _, _ = bench.run_hftbacktest(snap, bench.hft_strategy())
    assert ours["fills"] == theirs["fills"] > 5
    assert ours["avg_price"] == pytest.approx(theirs["avg_price"])
