"""Per-day ingest checks: order rows before the tick gate, and find days the gate gutted.

Traps: the gate's sequential rules compare each row with the last accepted one in input order, so
a reversed or shuffled export must be sorted first (stably, so true duplicates stay adjacent and
are still caught). A day that keeps only a small fraction of its rows after quarantine is almost
always a broken input (wrong time zone, truncated export), never something to store silently;
rows of an unusable symbol belong to no partition and do not count.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

SYMBOL_REASONS = ("bad_symbol", "unknown_symbol", "missing: symbol")
DEFAULT_MIN_KEPT = 0.5  # a (symbol, day) keeping a smaller fraction of its rows is a short day


def sort_for_gate(df: pd.DataFrame) -> pd.DataFrame:
    """Rows stably sorted by (symbol, datetime_ns); unparsable keys last, index reset."""
    df = df.reset_index(drop=True)
    if "symbol" not in df.columns or "datetime_ns" not in df.columns or len(df) < 2:
        return df
    sym_codes, _ = pd.factorize(df["symbol"].astype("string"), sort=True)
    sym_codes = np.where(sym_codes < 0, np.iinfo(np.int64).max, sym_codes)
    ns = pd.to_numeric(df["datetime_ns"], errors="coerce")
    if pd.api.types.is_integer_dtype(ns.dtype) and not ns.isna().any():
        ns_key = ns.to_numpy(dtype=np.int64)  # exact: float would lose nanoseconds
    else:
        as_float = ns.astype("float64").to_numpy()
        ns_key = np.where(np.isnan(as_float), np.inf, as_float)
    order = np.lexsort((ns_key, sym_codes))
    if (order == np.arange(len(df))).all():
        return df
    return df.take(order).reset_index(drop=True)


def _day_counts(df: pd.DataFrame) -> Counter[tuple[str, str]]:
    if df.empty or "symbol" not in df.columns or "trading_day" not in df.columns:
        return Counter()
    days = pd.to_datetime(df["trading_day"], errors="coerce")
    keys = pd.DataFrame({"s": df["symbol"].astype("string"), "d": days}).dropna()
    counts = keys.groupby(["s", "d"], observed=True, sort=False).size()  # per pair, not per row
    return Counter({(str(s), pd.Timestamp(d).strftime("%Y-%m-%d")): int(n) for (s, d), n in counts.items()})


def short_days(
    read: pd.DataFrame, kept: pd.DataFrame, min_kept: float, ignore: pd.DataFrame | None = None
) -> tuple[str, ...]:
    """(symbol, day) pairs whose kept/read row ratio is below ``min_kept``, as one-line strings."""
    got = _day_counts(kept)
    counts = _day_counts(read) - (_day_counts(ignore) if ignore is not None else Counter())
    out = []
    for (sym, day), n in sorted(counts.items()):
        k = got.get((sym, day), 0)
        if k < min_kept * n:
            out.append(f"{sym} {day}: {k}/{n} rows kept")
    return tuple(out)
