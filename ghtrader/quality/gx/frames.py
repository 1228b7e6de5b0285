"""Pandas preparation of GX batches: partition frames plus the ``gx_*`` helper columns (pure).

Traps: sessions of a main_l5 row come from its *underlying contract* (delivery-month night cut-off),
not from the continuous symbol; the trading day is re-derived from ``datetime_ns`` with the calendar
(night ticks belong to the next trading day, Friday night to Monday), never from the wall date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from ghtrader.market.calendar import EPOCH, TradingCalendar, session_mask
from ghtrader.market.contracts import ContractBook
from ghtrader.quality.gx.suites import COVERAGE_COLUMNS
from ghtrader.quality.rules import safe_trading_day_index, symbol_rules
from ghtrader.schema import to_pandas


def _base(table: pa.Table, symbol: str, day: dt.date, calendar: TradingCalendar) -> pd.DataFrame:
    df = to_pandas(table)
    ns = df["datetime_ns"].to_numpy(dtype=np.int64)
    want = (day - EPOCH).days
    df["gx_symbol_ok"] = (df["symbol"] == symbol).to_numpy(dtype=bool)
    same_day = (df["trading_day"] == day).to_numpy(dtype=bool)
    df["gx_trading_day_ok"] = same_day & (safe_trading_day_index(calendar, ns) == want)
    return df


def in_session(contract: str, ns: np.ndarray, calendar: TradingCalendar, book: ContractBook) -> np.ndarray:
    """Whether each stamp lies in ``contract``'s sessions (False everywhere for an unusable symbol)."""
    rules = symbol_rules(contract, book)
    if rules.sessions is None or len(ns) == 0:
        return np.zeros(len(ns), dtype=bool)
    return session_mask(calendar, rules.sessions, ns, no_night_from=rules.no_night_from)


def tick_frame(
    table: pa.Table,
    symbol: str,
    day: dt.date,
    calendar: TradingCalendar,
    book: ContractBook,
    schedule: tuple[str, int] | None = None,
) -> pd.DataFrame:
    """Raw-tick batch, or main_l5 batch when ``schedule`` = (main contract, segment id) of ``day``."""
    df = _base(table, symbol, day, calendar)
    ns = df["datetime_ns"].to_numpy(dtype=np.int64)
    if schedule is None:
        df["gx_in_session"] = in_session(symbol, ns, calendar, book)
        return df
    main, segment = schedule
    underlying = df["underlying_contract"].to_numpy(dtype=object)
    contracts = pd.unique(underlying)
    mask = np.zeros(len(df), dtype=bool)
    for c in contracts:
        rows = underlying == c
        mask[rows] = in_session(str(c), ns[rows], calendar, book)
    df["gx_in_session"] = mask
    df["gx_underlying_ok"] = underlying == main
    df["gx_segment_ok"] = (df["segment_id"] == segment).to_numpy(dtype=bool)
    return df


def feature_frames(
    table: pa.Table, symbol: str, day: dt.date, calendar: TradingCalendar, warmup_rows: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature batch and its ``f_*`` columns after the first ``warmup_rows`` rows (window warm-up)."""
    df = _base(table, symbol, day, calendar)
    fcols = [c for c in table.column_names if c.startswith("f_")]
    values = df[fcols].to_numpy(dtype=np.float64) if fcols else np.zeros((len(df), 0))
    df["gx_finite"] = ~np.isinf(values).any(axis=1)
    return df, df[fcols].iloc[warmup_rows:]


def label_frame(
    table: pa.Table, symbol: str, day: dt.date, calendar: TradingCalendar, horizons: Sequence[int]
) -> pd.DataFrame:
    """Label batch with per-class indicator columns (NaN where unlabelled) whose mean is the class share."""
    from ghtrader.labels.core import CLASS_NAMES

    df = _base(table, symbol, day, calendar)
    extra = {}
    for h in horizons:
        y = df[f"y_{h}"].to_numpy(dtype=np.float64)
        for k, name in enumerate(CLASS_NAMES):
            extra[f"gx_share_y_{h}_{name}"] = np.where(np.isnan(y), np.nan, (y == k).astype(np.float64))
    return pd.concat([df, pd.DataFrame(extra, index=df.index)], axis=1)


def coverage_frame(
    symbol: str,
    expected: Sequence[dt.date],
    committed: Sequence[dt.date],
    no_data: Sequence[dt.date],
    calendar: TradingCalendar,
) -> pd.DataFrame:
    """One row per expected day and per committed day in the same range, with its status."""
    days = sorted(set(expected) | {d for d in committed if expected and min(expected) <= d <= max(expected)})
    have, empty = set(committed), set(no_data)
    status = ["committed" if d in have else "no_data" if d in empty else "missing" for d in days]
    return pd.DataFrame(
        {
            "symbol": [symbol] * len(days),
            "trading_day": [d.isoformat() for d in days],
            "status": status,
            "is_trading_day": [calendar.is_trading_day(d) for d in days],
        },
        columns=list(COVERAGE_COLUMNS),
    )
