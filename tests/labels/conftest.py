"""Label-test kit: tiny tick frames built from explicit bid/ask paths, and a naive reference labeller."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

DAY = dt.date(2019, 11, 4)
OPEN_NS = 1572829201_000_000_000  # 2019-11-04 09:00:01 CST


def book_frame(
    bid: Sequence[float],
    ask: Sequence[float],
    *,
    segment_id: Sequence[int] | None = None,
    trading_day: Sequence[dt.date] | None = None,
    symbol: str = "KQ.m@SHFE.cu",
) -> pd.DataFrame:
    """A minimal frame with the columns ``compute_labels`` reads (ticks 0.5 s apart)."""
    n = len(bid)
    df = pd.DataFrame(
        {
            "symbol": symbol,
            "datetime_ns": OPEN_NS + np.arange(n, dtype=np.int64) * 500_000_000,
            "trading_day": list(trading_day) if trading_day is not None else [DAY] * n,
            "bid_price1": np.asarray(bid, dtype=np.float64),
            "ask_price1": np.asarray(ask, dtype=np.float64),
        }
    )
    if segment_id is not None:
        df["segment_id"] = np.asarray(segment_id, dtype=np.int32)
    return df


def naive_labels(
    bid: Sequence[float],
    ask: Sequence[float],
    seg: Sequence[int],
    day: Sequence[object],
    tick: Sequence[float],
    h: int,
    k: float,
) -> tuple[list[float], list[float]]:
    """Row-by-row reference: (dmid in ticks, class) with NaN when the lookahead leaves its run."""
    n = len(bid)
    dmids: list[float] = []
    ys: list[float] = []
    for t in range(n):
        j = t + h
        same = j < n and all(seg[x] == seg[t] and day[x] == day[t] for x in range(t, j + 1))
        if not same:
            dmids.append(math.nan)
            ys.append(math.nan)
            continue
        d = ((bid[j] + ask[j]) / 2 - (bid[t] + ask[t]) / 2) / tick[t]
        dmids.append(d)
        if math.isnan(d):
            ys.append(math.nan)
        elif d > k + 1e-6:
            ys.append(2.0)
        elif d < -k - 1e-6:
            ys.append(0.0)
        else:
            ys.append(1.0)
    return dmids, ys


@pytest.fixture(scope="session")
def frame() -> Callable[..., pd.DataFrame]:
    """Factory ``frame(bid, ask, segment_id=None, trading_day=None)`` -> minimal tick frame."""
    return book_frame


@pytest.fixture(scope="session")
def naive() -> Callable[..., tuple[list[float], list[float]]]:
    """Reference labeller ``naive(bid, ask, seg, day, tick, h, k)`` -> (dmid, y) lists."""
    return naive_labels
