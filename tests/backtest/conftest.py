from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook, FeeSpec

D1, D2 = dt.date(2025, 3, 3), dt.date(2025, 3, 4)
# Fee rates written out by hand (the SHFE schedule in ghtrader/market/data/fees.json at the time of
# writing): cu on value, close-today double; au per lot, close-today free.
CU_FEES = FeeSpec("value", 0.00005, 0.00005, 0.0001)
AU_FEES = FeeSpec("lot", 10.0, 10.0, 0.0)

MakeTicks = Callable[..., pd.DataFrame]


@pytest.fixture(scope="session")
def hand_book(calendar: TradingCalendar) -> ContractBook:
    """A contract book whose cu/au specs carry the hand-written fee rates above."""
    base = ContractBook.load(calendar)
    specs = dict(base.specs)
    for sym, fees in [("SHFE.cu2504", CU_FEES), ("SHFE.cu2505", CU_FEES), ("SHFE.au2506", AU_FEES)]:
        specs[sym] = dataclasses.replace(base.get(sym), fees=fees)
    return ContractBook(specs=specs, calendar=calendar)


def make_ticks(
    bid: Sequence[float],
    ask: Sequence[float],
    *,
    days: Sequence[dt.date] | None = None,
    contracts: Sequence[str] | None = None,
    segments: Sequence[int] | None = None,
) -> pd.DataFrame:
    """A minimal backtest frame: 0.5 s apart, one day / contract / segment unless given."""
    n = len(bid)
    return pd.DataFrame(
        {
            "datetime_ns": 1_741_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 500_000_000,
            "trading_day": list(days) if days is not None else [D1] * n,
            "bid_price1": np.asarray(bid, dtype=np.float64),
            "ask_price1": np.asarray(ask, dtype=np.float64),
            "underlying_contract": list(contracts) if contracts is not None else ["SHFE.cu2505"] * n,
            "segment_id": np.asarray(segments if segments is not None else [0] * n, dtype=np.int32),
        }
    )


@pytest.fixture(scope="session")
def ticks_factory() -> MakeTicks:
    return make_ticks


@pytest.fixture(scope="session")
def sim_main_day(calendar: TradingCalendar, hand_book: ContractBook) -> pd.DataFrame:
    """6000 sim snapshots of cu2505 on 2025-03-03 (event-driven book) as a main_l5-like frame."""
    from ghtrader.sources.sim import SimSource

    out = SimSource(calendar, hand_book).contract_day("SHFE.cu2505", D1)
    assert out is not None
    ticks = out[0].iloc[:6000].copy()
    ticks["underlying_contract"] = "SHFE.cu2505"
    ticks["segment_id"] = 0
    return ticks
