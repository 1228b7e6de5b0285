"""Pandas preparation of GX batches: partition frames plus the ``gx_*`` helper columns (pure).

Partitions are validated in batches (many days, even many symbols, in one frame), so every rule
that is *per partition* is computed here, on the partition alone: the time/volume steps are diffs
inside the partition (NaN on its first row, so a day boundary or a new symbol never looks like a
step back), the duplicate-timestamp rate is the partition's own rate repeated on its rows, and
per-partition aggregates (label class shares, feature NaN rates) are one-row ``*_stats`` frames.

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
import pyarrow.compute as pc

from ghtrader.market.calendar import EPOCH, TradingCalendar, session_mask
from ghtrader.market.contracts import ContractBook
from ghtrader.quality.gx.suites import COVERAGE_COLUMNS
from ghtrader.quality.rules import safe_trading_day_index, symbol_rules
from ghtrader.schema import to_pandas


def step(values: pd.Series) -> np.ndarray:
    """Row-to-row difference inside one partition (NaN on the first row and next to a null)."""
    return values.astype("float64").diff().to_numpy(dtype=np.float64)


def duplicate_rate(ns: np.ndarray) -> float:
    """Share of rows whose timestamp repeats an earlier row's (1 - unique proportion)."""
    return 0.0 if len(ns) == 0 else 1.0 - len(np.unique(ns)) / len(ns)


def _base(table: pa.Table, symbol: str, day: dt.date, calendar: TradingCalendar) -> pd.DataFrame:
    df = to_pandas(table)
    ns = df["datetime_ns"].to_numpy(dtype=np.int64)
    want = (day - EPOCH).days
    df["gx_symbol_ok"] = pc.equal(table["symbol"], symbol).to_numpy(zero_copy_only=False).astype(bool)
    same_day = (df["trading_day"] == day).to_numpy(dtype=bool)
    df["gx_trading_day_ok"] = same_day & (safe_trading_day_index(calendar, ns) == want)
    df["gx_time_step_ns"] = step(df["datetime_ns"])
    df["gx_duplicate_ts_rate"] = np.full(len(df), duplicate_rate(ns))
    # Cheap-to-stack dtypes for the two repeated text/date columns (values unchanged, nulls kept):
    # concatenating and fingerprinting (GX hashes every batch) object columns cost more than the rules.
    df["symbol"] = df["symbol"].astype("category")
    df["trading_day"] = table.column("trading_day").to_pandas(date_as_object=False)
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
    df["gx_volume_step"] = step(df["volume"])
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
    table: pa.Table, symbol: str, day: dt.date, calendar: TradingCalendar, warmup_rows: int, label: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature batch, and a one-row frame: NaN rate of each ``f_*`` column after ``warmup_rows`` rows."""
    df = _base(table, symbol, day, calendar)
    fcols = [c for c in table.column_names if c.startswith("f_")]
    values = df[fcols].to_numpy(dtype=np.float64) if fcols else np.zeros((len(df), 0))
    df["gx_finite"] = ~np.isinf(values).any(axis=1)
    after = values[warmup_rows:]
    rates = np.isnan(after).mean(axis=0) if len(after) else np.full(len(fcols), np.nan)
    return df, _stats_row(label, dict(zip(fcols, rates, strict=True)))


def label_frames(
    table: pa.Table,
    symbol: str,
    day: dt.date,
    calendar: TradingCalendar,
    horizons: Sequence[int],
    label: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Label batch, and a one-row frame: each class's share of the labelled rows, per horizon."""
    from ghtrader.labels.core import CLASS_NAMES

    df = _base(table, symbol, day, calendar)
    shares = {}
    for h in horizons:
        y = df[f"y_{h}"].to_numpy(dtype=np.float64)
        labelled = y[~np.isnan(y)]
        for k, name in enumerate(CLASS_NAMES):
            shares[f"share_y_{h}_{name}"] = float((labelled == k).mean()) if len(labelled) else np.nan
    return df, _stats_row(label, shares)


def _stats_row(label: str, values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"partition": [label], **{k: [float(v)] for k, v in values.items()}})


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
