"""Event statistics of an L5 snapshot series: how the book changes between consecutive snapshots.

Used to calibrate the sim's event-driven book against real SHFE ticks (same function, both sides).
Traps: SHFE reported volume/amount/OI double-counted (both sides of each trade) before 2020, so
``double_counted`` halves the volume delta before comparing it with depth; pairs across a session
break (gap > ``MAX_GAP_S``) or a trading-day change are not consecutive and are skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ghtrader.market.calendar import NS_PER_S

MAX_GAP_S = 600.0
LEVELS = 5


def _pairs(ticks: pd.DataFrame) -> np.ndarray:
    """Index ``i`` of every consecutive pair (i-1, i) inside one session of one trading day."""
    ns = ticks["datetime_ns"].to_numpy(np.int64)
    day = ticks["trading_day"].to_numpy() if "trading_day" in ticks else np.zeros(len(ns))
    ok = (np.diff(ns) / NS_PER_S < MAX_GAP_S) & (day[1:] == day[:-1])
    return np.flatnonzero(ok) + 1


def book_event_stats(
    ticks: pd.DataFrame, tick: float, lot: int = 1, double_counted: bool = False
) -> dict[str, float]:
    """Statistics of book changes between consecutive snapshots (sizes in lots of ``lot``).

    * ``p_best_size_unchanged``: P(best size unchanged | best prices unchanged, no volume), both sides.
    * ``l{k}_change_share`` / ``l{k}_abs_change_mean``: at level k with its price unchanged and no
      volume, the share of size changes and the mean absolute change (lots) when it changes.
    * ``depth_per_volume``: best-queue depletion per traded lot over pairs with trades and unchanged
      best prices (1.0 = every traded lot came out of a visible best queue).
    * ``price_change_rate``: share of pairs whose mid price changes.
    * ``spread_mean_ticks`` / ``spread_share_1tick``, ``trade_size_mean`` / ``trade_size_p90`` (lots
      per snapshot with trades), ``trade_within_prev_best``: share of trading snapshots whose last
      price lies within the *previous* snapshot's best bid/ask (trades print at the pre-trade book).
    """
    i = _pairs(ticks)
    j = i - 1
    vol = ticks["volume"].to_numpy(np.float64)
    dvol = (vol[i] - vol[j]) / (2.0 if double_counted else 1.0) / lot
    bp = {k: ticks[f"bid_price{k}"].to_numpy(np.float64) for k in range(1, LEVELS + 1)}
    ap = {k: ticks[f"ask_price{k}"].to_numpy(np.float64) for k in range(1, LEVELS + 1)}
    bv = {k: ticks[f"bid_volume{k}"].to_numpy(np.float64) / lot for k in range(1, LEVELS + 1)}
    av = {k: ticks[f"ask_volume{k}"].to_numpy(np.float64) / lot for k in range(1, LEVELS + 1)}
    quiet = dvol == 0
    same_b = bp[1][i] == bp[1][j]
    same_a = ap[1][i] == ap[1][j]
    out: dict[str, float] = {}
    unchanged = np.r_[
        (bv[1][i] == bv[1][j])[same_b & same_a & quiet], (av[1][i] == av[1][j])[same_b & same_a & quiet]
    ]
    out["p_best_size_unchanged"] = float(unchanged.mean()) if len(unchanged) else float("nan")
    for k in range(1, LEVELS + 1):
        d = np.r_[
            (bv[k][i] - bv[k][j])[(bp[k][i] == bp[k][j]) & quiet],
            (av[k][i] - av[k][j])[(ap[k][i] == ap[k][j]) & quiet],
        ]
        changed = d[d != 0]
        out[f"l{k}_change_share"] = float(len(changed) / len(d)) if len(d) else float("nan")
        out[f"l{k}_abs_change_mean"] = float(np.abs(changed).mean()) if len(changed) else float("nan")
    trade = (dvol > 0) & same_b & same_a
    used = np.maximum(bv[1][j] - bv[1][i], 0) + np.maximum(av[1][j] - av[1][i], 0)
    out["depth_per_volume"] = float(used[trade].sum() / dvol[trade].sum()) if trade.any() else float("nan")
    mid = bp[1] + ap[1]
    out["price_change_rate"] = float((mid[i] != mid[j]).mean()) if len(i) else float("nan")
    spread = np.rint((ap[1] - bp[1]) / tick)
    out["spread_mean_ticks"] = float(spread.mean())
    out["spread_share_1tick"] = float((spread == 1).mean())
    sizes = dvol[dvol > 0]
    out["trade_size_mean"] = float(sizes.mean()) if len(sizes) else float("nan")
    out["trade_size_p90"] = float(np.percentile(sizes, 90)) if len(sizes) else float("nan")
    last = ticks["last_price"].to_numpy(np.float64)
    traded = dvol > 0
    within = (last[i] >= bp[1][j] - 1e-9) & (last[i] <= ap[1][j] + 1e-9)
    out["trade_within_prev_best"] = float(within[traded].mean()) if traded.any() else float("nan")
    return out
