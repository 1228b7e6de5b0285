"""Per-tick input rows for the window models: the 5-level book, optionally followed by the factors.

Book block, per level ``l`` (DeepLOB order): ``ask{l}_relp, ask{l}_logv, bid{l}_relp, bid{l}_logv``:
price minus mid in basis points of mid (scale-free across contracts and years; a missing level is NaN)
and ``log1p(volume)``. Volumes are de-meaned per window inside the exported net (``InputNorm``), a
causal normalization that needs no state across ticks, so the trade runner builds exactly these rows
from the live book with ``book_rows`` and nothing else.

Trap: main_l5 can hold two snapshots with the same timestamp; rows are matched to the evaluation rows
by (datetime_ns, occurrence number), like the feature/label join.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ghtrader.schema import to_pandas

LEVELS = 5
BOOK_COLUMNS: tuple[str, ...] = tuple(
    f"{side}{lvl}_{kind}"
    for lvl in range(1, LEVELS + 1)
    for side in ("ask", "bid")
    for kind in ("relp", "logv")
)
RAW_COLUMNS: tuple[str, ...] = tuple(
    f"{side}_{kind}{lvl}"
    for lvl in range(1, LEVELS + 1)
    for side in ("bid", "ask")
    for kind in ("price", "volume")
)


def book_block(
    bid_price: np.ndarray, ask_price: np.ndarray, bid_volume: np.ndarray, ask_volume: np.ndarray
) -> np.ndarray:
    """``(n, 20)`` float32 book block from ``(n, 5)`` float64 level arrays (levels 1..5 in columns).

    The one definition of the book input: ``book_rows`` (research, a tick frame) and the trade runner
    (one tick's kernel input row, ``ghtrader.trade.predict``) both call it.
    """
    mid = ((bid_price[:, 0] + ask_price[:, 0]) / 2.0)[:, None]
    out = np.empty((bid_price.shape[0], len(BOOK_COLUMNS)), dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        for j, (price, vol) in enumerate(((ask_price, ask_volume), (bid_price, bid_volume))):
            out[:, 2 * j :: 4] = (price - mid) / mid * 1e4
            out[:, 2 * j + 1 :: 4] = np.log1p(np.where(vol >= 0, vol, np.nan))
    out[~np.isfinite(out)] = np.nan
    return out


def book_rows(frame: pd.DataFrame) -> np.ndarray:
    """``(n, 20)`` float32 book block from a frame with ``bid_price1..5``, ``ask_volume1..5`` etc."""

    def levels(field: str) -> np.ndarray:
        return np.stack([frame[f"{field}{lvl}"].to_numpy(np.float64) for lvl in range(1, LEVELS + 1)], axis=1)

    return book_block(levels("bid_price"), levels("ask_price"), levels("bid_volume"), levels("ask_volume"))


def _occ(ns: np.ndarray) -> np.ndarray:
    return pd.Series(ns).groupby(ns, sort=False).cumcount().to_numpy()


def align_rows(ticks_ns: np.ndarray, values: np.ndarray, keys_ns: np.ndarray) -> np.ndarray:
    """Rows of ``values`` (keyed by ``ticks_ns``) for each key of ``keys_ns``; NaN where none matches."""
    left = pd.DataFrame({"ns": np.asarray(keys_ns, dtype=np.int64)})
    left["occ"] = _occ(left["ns"].to_numpy())
    right = pd.DataFrame({"ns": np.asarray(ticks_ns, dtype=np.int64)})
    right["occ"] = _occ(right["ns"].to_numpy())
    right["pos"] = np.arange(len(right))
    pos = left.merge(right, on=["ns", "occ"], how="left", sort=False)["pos"].to_numpy()
    out = np.full((len(left), values.shape[1]), np.nan, dtype=np.float32)
    ok = ~np.isnan(pos)
    out[ok] = values[pos[ok].astype(np.int64)]
    return out


def load_book(lake_root: Path, symbol: str, meta: pd.DataFrame) -> np.ndarray:
    """Book block for every row of ``meta`` (``trading_day``, ``datetime_ns``), read from main_l5 by day."""
    from ghtrader.store.lake import ParquetLake

    lake = ParquetLake(lake_root)
    out = np.full((len(meta), len(BOOK_COLUMNS)), np.nan, dtype=np.float32)
    days = meta["trading_day"].to_numpy()
    for day in pd.unique(days):
        rows = np.flatnonzero(days == day)
        d = day if isinstance(day, dt.date) else pd.Timestamp(day).date()
        ticks = to_pandas(lake.read_day("main_l5", symbol, d, columns=["datetime_ns", *RAW_COLUMNS]))
        keys = meta["datetime_ns"].to_numpy(np.int64)[rows]
        out[rows] = align_rows(ticks["datetime_ns"].to_numpy(np.int64), book_rows(ticks), keys)
    return out


def window_inputs(
    inputs: str, book: np.ndarray, factors: np.ndarray, factor_names: tuple[str, ...]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The per-row input matrix and its column names for ``inputs`` ("book" or "book+factors")."""
    if inputs == "book":
        return book, BOOK_COLUMNS
    if inputs == "book+factors":
        return np.hstack([book, factors.astype(np.float32)]), BOOK_COLUMNS + tuple(factor_names)
    raise ValueError(f"inputs must be 'book' or 'book+factors', got {inputs!r}")
