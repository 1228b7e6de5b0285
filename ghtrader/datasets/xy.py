"""Join per-day features (``f_*`` columns) and labels into model matrices, in time order.

Both come from lake partitions ``<lake_root>/<dataset>/symbol=…/date=…`` committed by a
``_manifest.json``; only the files it lists are read (crash leftovers are invisible).

Trap: the join key is ``datetime_ns`` *plus its occurrence number* within the day. main_l5 may hold two
snapshots with the same timestamp, and a plain key join would pair each with both (duplicating rows);
features and labels are computed row by row from the same ticks, so the n-th duplicate pairs with the
n-th. Nothing is shuffled: rows stay in (day, tick) order so splits by time remain honest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ghtrader.schema import to_pandas
from ghtrader.store.partition import read_partition as _read_partition

FEATURE_PREFIX = "f_"
META = ("trading_day", "segment_id", "datetime_ns")


@dataclass(frozen=True)
class XY:
    """Model inputs: ``X`` (rows x features), ``y`` (class, -1 = no label), row ``meta`` (META columns)."""

    X: np.ndarray
    y: np.ndarray
    meta: pd.DataFrame
    feature_names: tuple[str, ...]
    days: tuple[dt.date, ...]
    missing_days: tuple[dt.date, ...]
    unmatched_rows: int

    @property
    def labelled(self) -> np.ndarray:
        return self.y >= 0


def partition_dir(lake_root: Path, dataset: str, symbol: str, day: dt.date) -> Path:
    return Path(lake_root) / dataset / f"symbol={symbol}" / f"date={day.isoformat()}"


def read_partition(pdir: Path, columns: Sequence[str] | None = None) -> pa.Table | None:
    """Read the files listed in ``pdir/_manifest.json`` (``None`` when the partition is not committed)."""
    return _read_partition(pdir, list(columns) if columns is not None else None)


def _with_occurrence(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(_occ=df.groupby("datetime_ns", sort=False).cumcount())


def join_day(
    features: pd.DataFrame, labels: pd.DataFrame, feature_names: Sequence[str], y_col: str
) -> pd.DataFrame:
    """Inner-join one day's features and labels on (datetime_ns, occurrence), in label row order."""
    missing = [c for c in feature_names if c not in features.columns]
    if missing:
        raise ValueError(f"feature partition lacks columns: {', '.join(missing[:5])}")
    left = _with_occurrence(labels[[*META, y_col]])
    right = _with_occurrence(features[["datetime_ns", *feature_names]])
    return left.merge(right, on=["datetime_ns", "_occ"], how="inner", sort=False).drop(columns="_occ")


def load_xy(
    lake_root: Path,
    symbol: str,
    days: Iterable[dt.date],
    *,
    horizon: int,
    feature_columns: Sequence[str] | None = None,
    dtype: type[np.floating] = np.float32,
    drop_unlabeled: bool = True,
    strict: bool = True,
    features_dataset: str = "features",
    labels_dataset: str = "labels",
) -> XY:
    """Load ``X``, ``y`` (classes of ``y_{horizon}``) and row meta for ``symbol`` over ``days``.

    ``feature_columns`` defaults to every ``f_*`` column of the first day, in file order. With
    ``drop_unlabeled`` rows without a label are dropped, otherwise kept with ``y = -1`` (sequence models
    need the contiguous context). ``strict``: a day missing its features or labels raises ``ValueError``;
    otherwise the day is skipped and listed in ``missing_days``.
    """
    y_col = f"y_{horizon}"
    names = tuple(feature_columns) if feature_columns is not None else None
    parts: list[pd.DataFrame] = []
    loaded: list[dt.date] = []
    missing: list[dt.date] = []
    unmatched = 0
    for day in sorted(set(days)):
        ft = read_partition(partition_dir(lake_root, features_dataset, symbol, day))
        lt = read_partition(partition_dir(lake_root, labels_dataset, symbol, day), [*META, y_col])
        if ft is None or lt is None:
            missing.append(day)
            continue
        if names is None:
            names = tuple(c for c in ft.column_names if c.startswith(FEATURE_PREFIX))
        joined = join_day(to_pandas(ft), to_pandas(lt), names, y_col)
        unmatched += ft.num_rows + lt.num_rows - 2 * len(joined)
        parts.append(joined)
        loaded.append(day)
    if strict and missing:
        shown = ", ".join(d.isoformat() for d in missing[:5])
        raise ValueError(f"{symbol}: {len(missing)} day(s) lack features or labels (first: {shown})")
    names = names or ()
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*META, y_col, *names])
    y = frame[y_col].to_numpy(dtype=np.float64, na_value=np.nan)
    if drop_unlabeled:
        keep = ~np.isnan(y)
        frame, y = frame.loc[keep].reset_index(drop=True), y[keep]
    X = frame[list(names)].to_numpy(dtype=dtype, na_value=np.nan)
    meta = frame[list(META)].reset_index(drop=True)
    return XY(
        X=X,
        y=np.where(np.isnan(y), -1, y).astype(np.int64),
        meta=meta,
        feature_names=names,
        days=tuple(loaded),
        missing_days=tuple(missing),
        unmatched_rows=int(unmatched),
    )
