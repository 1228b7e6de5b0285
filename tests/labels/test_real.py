from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ghtrader.labels import LabelConfig, class_balance, compute_labels
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.csv import read_tick_csv
from ghtrader.testing import real_tick_csv

pytestmark = pytest.mark.realdata


def test_real_cu1909_labels(
    real_data: Path, calendar: TradingCalendar, book: ContractBook, naive: Callable
) -> None:
    ticks, rejected = read_tick_csv(real_tick_csv(real_data), calendar=calendar)
    assert rejected.empty and len(ticks) == 200
    tick = book.get("SHFE.cu1909").price_tick
    assert tick == 10.0
    cfg = LabelConfig()  # (10, 50, 200): 200 real ticks leave y_200 entirely unlabelled
    out = compute_labels(ticks, price_tick=tick, config=cfg)
    bid, ask = ticks.bid_price1.tolist(), ticks.ask_price1.tolist()
    seg, day = [0] * len(ticks), ticks.trading_day.tolist()
    for h in cfg.horizons:
        labelled = int(out[f"y_{h}"].notna().sum())
        assert labelled == max(len(ticks) - h, 0)
        balance = class_balance(out, h)
        assert sum(balance["counts"].values()) == labelled == balance["labelled"]
        dmid, y = naive(bid, ask, seg, day, [tick] * len(ticks), h, cfg.k)
        np.testing.assert_allclose(out[f"dmid_{h}"], dmid, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(out[f"y_{h}"], y)
    # Real moves are on the half-tick grid and the thin book still moves: not all FLAT.
    d50 = out["dmid_50"].dropna().to_numpy()
    assert np.allclose(d50 * 2, np.round(d50 * 2))
    assert class_balance(out, 50)["counts"]["FLAT"] < class_balance(out, 50)["labelled"]
