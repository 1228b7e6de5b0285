"""Hand-built L5 snapshot frames for the tier-2 engine tests (one row per snapshot)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

T0 = 1_741_000_000_000_000_000  # 2025-03-03 19:06:40 CST
STEP_NS = 500_000_000


@dataclass(frozen=True)
class Snap:
    """One snapshot: best bid/ask (prices), per-level sizes, cumulative volume, last price.

    Levels go one tick apart from the best (``tick``); ``bids`` / ``asks`` list level sizes."""

    bid: float
    ask: float
    bids: Sequence[float] = (10, 10, 10, 10, 10)
    asks: Sequence[float] = (10, 10, 10, 10, 10)
    volume: float = 0.0
    last: float | None = None
    day: dt.date = dt.date(2025, 3, 3)
    ts: int | None = None
    segment: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def snapshot_frame(
    snaps: Sequence[Snap], *, symbol: str = "SHFE.cu2505", tick: float = 10.0, mult: float = 5.0
) -> pd.DataFrame:
    """A main_l5-like frame (tick columns + underlying_contract + segment_id) from ``snaps``."""
    rows = []
    for i, s in enumerate(snaps):
        row: dict[str, object] = {
            "symbol": symbol,
            "datetime_ns": s.ts if s.ts is not None else T0 + i * STEP_NS,
            "trading_day": s.day,
            "last_price": s.last if s.last is not None else s.bid,
            "volume": s.volume,
            "amount": s.volume * (s.last if s.last is not None else s.bid) * mult,
            "open_interest": 1000,
            "underlying_contract": symbol,
            "segment_id": s.segment,
        }
        for k in range(5):
            row[f"bid_price{k + 1}"] = s.bid - k * tick if k < len(s.bids) else np.nan
            row[f"bid_volume{k + 1}"] = s.bids[k] if k < len(s.bids) else np.nan
            row[f"ask_price{k + 1}"] = s.ask + k * tick if k < len(s.asks) else np.nan
            row[f"ask_volume{k + 1}"] = s.asks[k] if k < len(s.asks) else np.nan
        row.update(s.extra)
        rows.append(row)
    return pd.DataFrame(rows)
