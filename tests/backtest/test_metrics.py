"""Sharpe, drawdown and daily PnL on tiny series computed by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ghtrader.backtest.metrics import daily_pnl, max_drawdown, sharpe


def test_sharpe_by_hand() -> None:
    # daily PnL 100, -50, 30: mean 26.6667, sample std 75.0555 -> 0.355290 * sqrt(252) = 5.64009
    assert sharpe(np.array([100.0, -50.0, 30.0])) == pytest.approx(5.64009, rel=1e-5)
    assert sharpe(np.array([100.0])) is None
    assert sharpe(np.array([5.0, 5.0, 5.0])) is None


def test_drawdown_by_hand() -> None:
    # account 1000, 1100, 1040, 1120, 1010: worst fall 1120 -> 1010 = 110 CNY = 9.8214 % of the peak
    dd, frac = max_drawdown(np.array([100.0, 40.0, 120.0, 10.0]), capital=1000.0)
    assert dd == pytest.approx(110.0)
    assert frac == pytest.approx(110.0 / 1120.0)
    # a loss from the start counts against the capital itself
    assert max_drawdown(np.array([-30.0, -10.0]), capital=1000.0) == pytest.approx((30.0, 0.03))


def test_daily_pnl_uses_end_of_day_equity() -> None:
    days = np.array([dt.date(2025, 3, 3), dt.date(2025, 3, 4)], dtype=object)
    d = daily_pnl(np.array([0, 0, 1, 1, 1]), np.array([5.0, 10.0, 7.0, 30.0, 25.0]), days)
    assert d["trading_day"].tolist() == list(days)
    assert d["equity"].tolist() == [10.0, 25.0]
    assert d["pnl"].tolist() == [10.0, 15.0]
