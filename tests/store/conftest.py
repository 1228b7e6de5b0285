"""Store-test fixtures: small, plausible tick-schema frames (day session, 2 Hz, on the tick grid)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from ghtrader.schema import ASK_PRICE, ASK_VOLUME, BID_PRICE, BID_VOLUME, TICK_COLUMNS

CST_NS = 8 * 3600 * 10**9


def day_open_ns(day: dt.date) -> int:
    """Epoch-ns (UTC) of 09:00:00 CST on ``day``."""
    midnight_utc = (day - dt.date(1970, 1, 1)).days * 86400 * 10**9
    return midnight_utc - CST_NS + 9 * 3600 * 10**9


def make_ticks(
    symbol: str, day: dt.date, n: int = 200, *, seed: int = 0, tick: float = 10.0, base: float = 47000.0
) -> pd.DataFrame:
    """``n`` ticks of ``symbol`` from 09:00:01 CST on ``day`` every 0.5 s (n <= 8000 stays in session)."""
    rng = np.random.default_rng(seed)
    ns = (
        day_open_ns(day)
        + 10**9
        + np.arange(n, dtype=np.int64) * 500_000_000
        + rng.integers(0, 3, n) * 1_000_000
    )
    mid_ticks = np.cumsum(rng.integers(-1, 2, n))
    bid1 = base + tick * mid_ticks
    qty = rng.integers(0, 20, n)
    last = bid1 + tick * rng.integers(0, 2, n)
    volume = 1000 + np.cumsum(qty)
    amount = 1000 * base * 5 + np.cumsum(qty * last * 5)
    df = pd.DataFrame(
        {
            "symbol": symbol,
            "datetime_ns": ns,
            "trading_day": [day] * n,
            "last_price": last,
            "average": amount / (volume * 5),
            "highest": np.maximum.accumulate(last),
            "lowest": np.minimum.accumulate(last),
            "volume": volume.astype(np.int64),
            "amount": amount.astype(np.float64),
            "open_interest": (20000 + np.cumsum(rng.integers(-5, 6, n))).astype(np.int64),
        }
    )
    for i, (bp, bv, ap, av) in enumerate(zip(BID_PRICE, BID_VOLUME, ASK_PRICE, ASK_VOLUME, strict=True)):
        df[bp] = bid1 - tick * i
        df[ap] = bid1 + tick * (i + 1)
        df[bv] = rng.integers(1, 200, n).astype(np.float64)
        df[av] = rng.integers(1, 200, n).astype(np.float64)
    return df[TICK_COLUMNS]


@pytest.fixture(scope="session")
def ticks() -> Callable[..., pd.DataFrame]:
    """Factory ``ticks(symbol, day, n=200, seed=0)`` -> tick-schema frame that passes the ingest gate."""
    return make_ticks
