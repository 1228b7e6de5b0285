"""Walk-forward splits by time only (SPEC §5, §6): train on the past, purge a gap, test on what follows.

Splits are made of whole trading days. Between a split's last train day and its first test day lie
``purge_days`` trading days used by neither, so no training label can look into the test period. Labels
never cross a trading-day boundary (``ghtrader.labels``), so one purge day is already more than the label
horizon; keep it >= 1 anyway so multi-day feature lookbacks do not straddle the split. The test windows
are consecutive, non-overlapping and anchored at the end of the data; the first split trains on every
day before its purge gap (>= ``min_train_days``).

``purge_rows`` does the same at row level inside one series (e.g. a single day of ticks): it drops the
training rows whose label window ``[i, i + horizon]`` reaches into the test rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """One walk-forward fold: train days, the purged gap, then test days (each sorted, disjoint)."""

    train_days: tuple[dt.date, ...]
    test_days: tuple[dt.date, ...]
    purge_days: tuple[dt.date, ...]


def days_needed(*, n_splits: int, min_train_days: int, test_days: int, purge_days: int) -> int:
    """Minimum number of trading days for the requested walk-forward layout."""
    return min_train_days + purge_days + n_splits * test_days


def walk_forward_splits(
    trading_days: Sequence[dt.date],
    *,
    n_splits: int = 5,
    min_train_days: int,
    test_days: int,
    purge_days: int = 1,
    expanding: bool = True,
) -> list[Split]:
    """Return ``n_splits`` folds in time order over the distinct sorted ``trading_days``.

    ``expanding``: train on every earlier day (before the purge gap); otherwise on a rolling window of
    the last ``min_train_days`` days before the gap. Raises ``ValueError`` naming the number of days
    needed when there are too few.
    """
    if n_splits < 1 or min_train_days < 1 or test_days < 1 or purge_days < 0:
        raise ValueError(
            "need n_splits >= 1, min_train_days >= 1, test_days >= 1 and purge_days >= 0, got "
            f"{n_splits}, {min_train_days}, {test_days}, {purge_days}"
        )
    days = sorted(set(trading_days))
    need = days_needed(
        n_splits=n_splits, min_train_days=min_train_days, test_days=test_days, purge_days=purge_days
    )
    if len(days) < need:
        raise ValueError(
            f"walk-forward with {n_splits} splits needs at least {need} trading days "
            f"(min_train_days={min_train_days} + purge_days={purge_days} + {n_splits} x test_days={test_days}), "
            f"got {len(days)}"
        )
    first_test = len(days) - n_splits * test_days
    out = []
    for i in range(n_splits):
        t0 = first_test + i * test_days
        gap0 = t0 - purge_days
        train0 = 0 if expanding else gap0 - min_train_days
        out.append(
            Split(
                train_days=tuple(days[train0:gap0]),
                test_days=tuple(days[t0 : t0 + test_days]),
                purge_days=tuple(days[gap0:t0]),
            )
        )
    return out


def purge_rows(train_idx: np.ndarray, test_idx: np.ndarray, *, horizon: int, embargo: int = 0) -> np.ndarray:
    """Drop training rows whose label window or embargo overlaps the contiguous test row block.

    Row positions index one time-ordered series. A training row ``i`` before the test block is dropped
    when ``i + horizon >= test_start`` (its label sees test ticks); one after the block is dropped when
    ``i <= test_end + embargo`` (its features may still remember test ticks).
    """
    train_idx = np.asarray(train_idx, dtype=np.int64)
    test_idx = np.asarray(test_idx, dtype=np.int64)
    if horizon < 0 or embargo < 0:
        raise ValueError(f"horizon and embargo must be >= 0, got {horizon}, {embargo}")
    if test_idx.size == 0:
        return train_idx.copy()
    lo, hi = int(test_idx.min()), int(test_idx.max())
    if hi - lo + 1 != np.unique(test_idx).size:
        raise ValueError("test rows must form one contiguous block")
    keep = (train_idx + horizon < lo) | (train_idx > hi + embargo)
    return train_idx[keep]
