"""The sim's event-driven book against real cu1909 ticks: statistics within stated tolerances."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.sim import SimSource
from ghtrader.sources.sim.bookstats import book_event_stats
from ghtrader.sources.sim.calibration import BOOK_TOLERANCES, book_calibration_table


@pytest.fixture(scope="module")
def src(calendar: TradingCalendar, book: ContractBook) -> SimSource:
    return SimSource(calendar, book)


@pytest.fixture(scope="module")
def table(real_data: Path, src: SimSource) -> pd.DataFrame:
    out = book_calibration_table(src, real_data)
    with pd.option_context("display.width", 160):
        print("\n" + out.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return out


@pytest.mark.realdata
@pytest.mark.parametrize("metric", list(BOOK_TOLERANCES))
def test_book_statistic_within_tolerance(table: pd.DataFrame, metric: str) -> None:
    row = table[table["metric"] == metric].iloc[0]
    assert row["ok"], f"{metric}: real {row['real']:.4g} sim {row['sim']:.4g} (tolerance {row['tolerance']})"


def test_sizes_persist_on_main_contract(src: SimSource) -> None:
    """The old sim redrew every size per snapshot (P(unchanged) ~1%); queues now persist."""
    ticks = src.contract_day("SHFE.cu2504", dt.date(2025, 3, 10))[0]  # type: ignore[index]
    stats = book_event_stats(ticks, 10.0)
    assert stats["p_best_size_unchanged"] > 0.3
    assert 0.5 < stats["depth_per_volume"] < 4.0
    assert stats["trade_within_prev_best"] > 0.95


def test_double_counted_volume_before_2020(src: SimSource) -> None:
    """Pre-2020 SHFE snapshots report both sides: volume, amount and OI come doubled, and the
    reported end-of-day OI equals the last tick's, as in real data."""
    for day, div in ((dt.date(2019, 9, 12), 2), (dt.date(2020, 3, 12), 1)):
        sym = src.list_symbols("cu", day)[2]
        ticks = src.contract_day(sym, day)[0]  # type: ignore[index]
        assert ticks["open_interest"].iloc[-1] == src.eod_open_interest(sym, day)
        assert (ticks[["volume", "open_interest"]].to_numpy() % div == 0).all()
        vwap = np.diff(ticks["amount"].to_numpy()) / np.maximum(np.diff(ticks["volume"].to_numpy()), 1) / 5
        traded = np.diff(ticks["volume"].to_numpy()) > 0
        assert (np.abs(vwap[traded] - ticks["last_price"].to_numpy()[1:][traded]) < 200).all()
