"""Compare the sim's statistics with the real SHFE fixtures (``../shared/data/real``).

Figures: (a) the thin book of a delivery-month cu contract (real cu1909 on 2019-09-12 day session:
spread in ticks, snapshot gaps) and (b) per-minute log-return volatility and volume per minute by
session of a main contract (real cu1905 Mar-Apr 2019, au1912 Jul-Nov 2019 60 s bars) against sim
1-minute bars built from the sim main contract's ticks on 2019 dates (same era, same ticks).
``book_calibration_table`` compares how the book *changes* between snapshots (``bookstats``) on the
same delivery case, each statistic with its stated tolerance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from ghtrader.market.calendar import CST_OFFSET_NS, NS_PER_S
from ghtrader.market.reporting import volume_divisor
from ghtrader.sources.sim.bookstats import book_event_stats
from ghtrader.sources.sim.source import SimSource
from ghtrader.testing import load_klines, real_tick_csv

MINUTE_NS = 60 * NS_PER_S
SWITCH_RATIO = 1.1
# (real contract, real window, sim days) for the main-contract bar comparison
MAIN_CASES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("cu", "SHFE.cu1905", "2019-03-01..2019-04-30", ("2019-03-12", "2019-03-27", "2019-04-10")),
    ("au", "SHFE.au1912", "2019-07-01..2019-11-30", ("2019-07-16", "2019-09-10", "2019-10-22")),
)
DELIVERY_CASE = ("SHFE.cu1909", dt.date(2019, 9, 12))


def oi_rule_mains(eod: pd.DataFrame) -> dict[dt.date, str]:
    """Main contract per trading day by the OI rule (largest end-of-day OI, 1.1x to switch, T+1).

    ``eod`` has columns trading_day, symbol, open_interest. The first day only seeds the choice,
    so the result starts on the second day.
    """
    out: dict[dt.date, str] = {}
    cur: str | None = None
    for key, grp in eod.groupby("trading_day", sort=True):
        if cur is not None:
            out[cast(dt.date, key)] = cur
        oi = dict(zip(grp["symbol"], grp["open_interest"], strict=True))
        best = max(oi, key=lambda s: oi[s])
        if cur is None or oi.get(cur, 0) == 0 or oi[best] > SWITCH_RATIO * oi[cur]:
            cur = best
    return out


def book_stats(ticks: pd.DataFrame, tick: float) -> dict[str, float]:
    """Spread in ticks (mean, share of one-tick spreads) and snapshot gaps (median, p90, seconds)."""
    spread = np.rint((ticks["ask_price1"] - ticks["bid_price1"]).to_numpy() / tick)
    gaps = np.diff(ticks["datetime_ns"].to_numpy()) / NS_PER_S
    gaps = gaps[gaps < 600]  # ignore session breaks
    return {
        "spread_mean_ticks": float(spread.mean()),
        "spread_share_1tick": float((spread == 1).mean()),
        "gap_median_s": float(np.median(gaps)),
        "gap_p90_s": float(np.percentile(gaps, 90)),
    }


def minute_bars(ticks: pd.DataFrame) -> pd.DataFrame:
    """1-minute bars from snapshots: close = last price, volume = traded lots in the minute."""
    ts = ticks["datetime_ns"].to_numpy()
    minute = ts // MINUTE_NS
    vol = ticks["volume"].to_numpy()
    day_change = np.r_[True, ticks["trading_day"].to_numpy()[1:] != ticks["trading_day"].to_numpy()[:-1]]
    dvol = np.where(day_change, vol, np.diff(vol, prepend=0))
    frame = pd.DataFrame({"minute": minute, "close": ticks["last_price"].to_numpy(), "volume": dvol})
    bars = frame.groupby("minute", sort=True).agg(close=("close", "last"), volume=("volume", "sum"))
    return pd.DataFrame({"datetime_nano": bars.index.to_numpy() * MINUTE_NS, **bars})


def bar_stats(bars: pd.DataFrame) -> dict[str, float]:
    """Std of 1-minute log returns of close and mean volume per minute, by day/night session."""
    ts = bars["datetime_nano"].to_numpy(dtype=np.int64)
    hour = ((ts + CST_OFFSET_NS) // (3600 * NS_PER_S)) % 24
    night = (hour >= 18) | (hour < 6)
    ret = np.diff(np.log(bars["close"].to_numpy(dtype=float)), prepend=np.nan)
    consecutive = np.diff(ts, prepend=ts[0]) == MINUTE_NS
    vol = bars["volume"].to_numpy(dtype=float)
    out = {}
    for name, sel in (("day", ~night), ("night", night)):
        out[f"ret_std_1m_{name}"] = float(np.std(ret[sel & consecutive], ddof=1))
        out[f"volume_per_min_{name}"] = float(vol[sel].mean())
    return out


def sim_main_bars(src: SimSource, var: str, days: Iterable[dt.date]) -> pd.DataFrame:
    """1-minute bars of the sim main contract (OI rule) on each of ``days``."""
    parts = []
    for day in days:
        prev = src.calendar.prev_trading_day(day)
        eod = src.eod_oi_table(var, [src.calendar.prev_trading_day(prev), prev, day])
        main = oi_rule_mains(eod)[day]
        out = src.contract_day(main, day)
        if out is not None:
            parts.append(minute_bars(out[0]))
    return pd.concat(parts, ignore_index=True)


def _window(frame: pd.DataFrame, spec: str) -> pd.DataFrame:
    lo, hi = (dt.date.fromisoformat(s) for s in spec.split(".."))
    local = pd.to_datetime(frame["datetime_nano"].to_numpy() + CST_OFFSET_NS)
    keep = (local >= pd.Timestamp(lo)) & (local < pd.Timestamp(hi + dt.timedelta(days=1)))
    return frame.loc[keep].reset_index(drop=True)


def calibration_table(src: SimSource, real_root: Path) -> pd.DataFrame:
    """Rows (case, metric, real, sim, ratio = sim / real) for every calibrated figure."""
    rows: list[tuple[str, str, float, float]] = []
    symbol, day = DELIVERY_CASE
    real_ticks = pd.read_csv(real_tick_csv(real_root)).rename(columns={"datetime_nano": "datetime_ns"})
    tick = src.book.get(symbol).price_tick
    sim_out = src.contract_day(symbol, day)
    if sim_out is None:
        raise ValueError(f"sim has no ticks for {symbol} on {day}")
    real_b, sim_b = book_stats(real_ticks, tick), book_stats(sim_out[0], tick)
    rows += [(f"{symbol} delivery {day}", k, real_b[k], sim_b[k]) for k in real_b]
    for var, real_symbol, window, sim_days in MAIN_CASES:
        real_bars = _window(load_klines(real_root, real_symbol, 60), window)
        sim_bars = sim_main_bars(src, var, [dt.date.fromisoformat(d) for d in sim_days])
        real_s, sim_s = bar_stats(real_bars), bar_stats(sim_bars)
        rows += [(f"{var} main ({real_symbol} {window})", k, real_s[k], sim_s[k]) for k in real_s]
    table = pd.DataFrame(rows, columns=["case", "metric", "real", "sim"])
    table["ratio"] = table["sim"] / table["real"]
    return table


# metric -> (kind, lo, hi): "ratio" bounds sim / real, "abs" bounds sim - real. Deep-level sizes
# barely change in the 200 real snapshots (a handful of events), so their bounds are wider.
BOOK_TOLERANCES: dict[str, tuple[str, float, float]] = {
    "p_best_size_unchanged": ("abs", -0.15, 0.15),
    "l1_change_share": ("abs", -0.1, 0.1),
    "l2_change_share": ("abs", -0.1, 0.1),
    "l3_change_share": ("abs", -0.05, 0.05),
    "l4_change_share": ("abs", -0.05, 0.05),
    "l5_change_share": ("abs", -0.05, 0.05),
    "l1_abs_change_mean": ("ratio", 0.5, 2.0),
    "l2_abs_change_mean": ("ratio", 0.5, 2.5),
    "l3_abs_change_mean": ("ratio", 0.33, 3.0),
    "l4_abs_change_mean": ("ratio", 0.33, 3.0),
    "l5_abs_change_mean": ("ratio", 0.33, 3.0),
    "depth_per_volume": ("ratio", 0.67, 1.5),
    "price_change_rate": ("ratio", 0.5, 2.0),
    "spread_mean_ticks": ("ratio", 0.8, 1.25),
    "spread_share_1tick": ("abs", -0.1, 0.1),
    "trade_size_mean": ("ratio", 0.5, 2.0),
    "trade_size_p90": ("ratio", 0.5, 2.0),
    "trade_within_prev_best": ("abs", -0.1, 0.1),
}


def book_calibration_table(src: SimSource, real_root: Path) -> pd.DataFrame:
    """Real vs sim book-event statistics on the delivery case, with tolerance and verdict per row.

    Both sides are read the same way: lot = the contract's order granularity (5 in cu delivery),
    volume deltas halved where the exchange double-counted (2019 SHFE, the sim emulates it)."""
    symbol, day = DELIVERY_CASE
    real = pd.read_csv(real_tick_csv(real_root)).rename(columns={"datetime_nano": "datetime_ns"})
    out = src.contract_day(symbol, day)
    if out is None:
        raise ValueError(f"sim has no ticks for {symbol} on {day}")
    tick, lot, div = src.book.get(symbol).price_tick, 5, volume_divisor(symbol, day)
    r = book_event_stats(real, tick, lot, div == 2)
    s = book_event_stats(out[0], tick, lot, div == 2)
    rows = []
    for metric, (kind, lo, hi) in BOOK_TOLERANCES.items():
        diff = s[metric] / r[metric] if kind == "ratio" else s[metric] - r[metric]
        tol = f"{lo:g}..{hi:g} x" if kind == "ratio" else f"{lo:+g}..{hi:+g}"
        rows.append((metric, r[metric], s[metric], diff, tol, bool(lo <= diff <= hi)))
    return pd.DataFrame(rows, columns=["metric", "real", "sim", "sim_vs_real", "tolerance", "ok"])
