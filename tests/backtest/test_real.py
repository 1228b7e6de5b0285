"""Backtest accounting on real SHFE cu1909 L5 snapshots (thin book, irregular gaps)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ghtrader.backtest import BacktestConfig, run_backtest
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.csv import read_tick_csv
from ghtrader.testing import real_tick_csv

pytestmark = pytest.mark.realdata


def test_real_ticks_fill_at_quotes_and_balance(
    real_data: Path, calendar: TradingCalendar, book: ContractBook
) -> None:
    ticks, _bad = read_tick_csv(real_tick_csv(real_data), calendar=calendar)
    ticks = ticks.sort_values("datetime_ns").reset_index(drop=True)
    ticks["underlying_contract"], ticks["segment_id"] = "SHFE.cu1909", 0
    mid = ((ticks["bid_price1"] + ticks["ask_price1"]) / 2).to_numpy()
    momentum = np.sign(np.nan_to_num(mid - np.roll(mid, 10)))
    momentum[:10] = 0
    cfg = BacktestConfig(flatten_at_end=False)
    r = run_backtest(ticks, momentum.astype(np.int64), book=book, config=cfg)
    tr = r.trades
    assert len(tr) > 2
    quote = np.where(
        tr["side"] == "buy",
        ticks["ask_price1"].to_numpy()[tr["tick"]],
        ticks["bid_price1"].to_numpy()[tr["tick"]],
    )
    assert np.allclose(tr["price"], quote)
    spec = book.get("SHFE.cu1909")
    expected_fees = [
        spec.fees.fee(p, q, spec.volume_multiple, a)
        for p, q, a in zip(tr["price"], tr["qty"], tr["action"], strict=True)
    ]
    assert tr["fee"].tolist() == pytest.approx(expected_fees)
    pos = int(r.equity["position"].iloc[-1])
    last_mid = mid[np.isfinite(mid)][-1]
    assert tr["cash_flow"].sum() + pos * last_mid * spec.volume_multiple == pytest.approx(
        r.equity["equity"].iloc[-1]
    )
