"""Event-time 3-class labels (SPEC §5): DOWN/FLAT/UP of the mid move over the next N ticks.

``mid = (bid1 + ask1) / 2`` (NaN when either side is missing). For horizon N, the move at row t is
``dmid_N = (mid[t+N] - mid[t]) / price_tick`` in ticks and the class is (boundary convention)::

    DOWN = 0  if dmid_N <  -k
    FLAT = 1  if -k <= dmid_N <= k      (a move of exactly ±k ticks is FLAT)
    UP   = 2  if dmid_N >   k

compared with a tolerance of ``TICK_EPS`` ticks so float noise in prices such as au's 0.02 tick cannot
flip a class at the boundary. Mids move in half ticks, so with k = 1 the smallest UP move is 1.5 ticks.

Traps: the lookahead never crosses a segment (roll) boundary or a trading-day boundary: when row t+N
belongs to another segment or day, or lies beyond the data, or either mid is NaN, the label is missing.
In pandas, ``y_N`` is float64 with NaN for missing (the project's nullable-int convention, see
``ghtrader.schema.to_pandas``); on disk it is a nullable int8. ``price_tick`` can change between
contracts (au: 0.05 before au1912, 0.02 from it), so it may be given per row; the tick of row t is used,
which equals the tick of row t+N because both lie in one segment.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

DOWN, FLAT, UP = 0, 1, 2
CLASS_NAMES: tuple[str, ...] = ("DOWN", "FLAT", "UP")
TICK_EPS = 1e-6
LABEL_VERSION = 1  # bump when the label semantics change: it enters the config hash
META_COLUMNS: tuple[str, ...] = ("datetime_ns", "trading_day", "symbol", "segment_id", "mid")


@dataclass(frozen=True)
class LabelConfig:
    """Label horizons (in ticks, i.e. rows) and the FLAT threshold ``k`` (in price ticks)."""

    horizons: tuple[int, ...] = (10, 50, 200)
    k: float = 1.0

    def __post_init__(self) -> None:
        hs = tuple(self.horizons)
        if not hs or any(not isinstance(h, int | np.integer) or isinstance(h, bool) or h < 1 for h in hs):
            raise ValueError(f"horizons must be positive integers, got {self.horizons!r}")
        if len(set(hs)) != len(hs):
            raise ValueError(f"horizons must be distinct, got {self.horizons!r}")
        if not np.isfinite(self.k) or self.k < 0:
            raise ValueError(f"k must be a finite non-negative number of ticks, got {self.k!r}")
        object.__setattr__(self, "horizons", tuple(int(h) for h in hs))
        object.__setattr__(self, "k", float(self.k))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "horizons": list(self.horizons), "version": LABEL_VERSION}

    @property
    def hash(self) -> str:
        """Stable 16-hex hash of the config (and ``LABEL_VERSION``)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    def columns(self) -> list[str]:
        """Output columns of ``compute_labels`` in order."""
        return [*META_COLUMNS, *[c for n in self.horizons for c in (f"y_{n}", f"dmid_{n}")]]


def label_schema(config: LabelConfig) -> pa.Schema:
    """Arrow schema of a stored label partition (classes as nullable int8)."""
    fields = [
        pa.field("datetime_ns", pa.int64(), nullable=False),
        pa.field("trading_day", pa.date32(), nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("segment_id", pa.int32(), nullable=False),
        pa.field("mid", pa.float64()),
    ]
    for n in config.horizons:
        fields += [pa.field(f"y_{n}", pa.int8()), pa.field(f"dmid_{n}", pa.float64())]
    return pa.schema(fields)


def segment_run_end(segment_ids: np.ndarray, day_codes: np.ndarray | None = None) -> np.ndarray:
    """For each row, the index of the last row of its contiguous (segment, day) run."""
    n = len(segment_ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.empty(n, dtype=bool)
    change[0] = True
    change[1:] = segment_ids[1:] != segment_ids[:-1]
    if day_codes is not None:
        change[1:] |= day_codes[1:] != day_codes[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n) - 1
    return ends[np.cumsum(change) - 1]


def classify(dmid_ticks: np.ndarray, k: float) -> np.ndarray:
    """Map moves in ticks to classes as float64 (NaN stays NaN); see the module boundary convention."""
    y = np.where(dmid_ticks > k + TICK_EPS, UP, np.where(dmid_ticks < -k - TICK_EPS, DOWN, FLAT))
    return np.where(np.isnan(dmid_ticks), np.nan, y.astype(np.float64))


def _float(df: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(df[col]).to_numpy(dtype=np.float64, na_value=np.nan)


def _ticks(price_tick: float | np.ndarray, n: int) -> np.ndarray:
    tick = np.asarray(price_tick, dtype=np.float64)
    if tick.ndim not in (0, 1) or (tick.ndim == 1 and len(tick) != n):
        raise ValueError(f"price_tick must be a scalar or one value per row ({n}), got shape {tick.shape}")
    tick = np.broadcast_to(tick, (n,))
    if n and not (np.isfinite(tick) & (tick > 0)).all():
        raise ValueError("price_tick must be finite and positive")
    return tick


def compute_labels(
    df: pd.DataFrame, *, price_tick: float | np.ndarray, config: LabelConfig = LabelConfig()
) -> pd.DataFrame:
    """Label every row of one trading day of ticks (main_l5 or a raw contract) in time order.

    A frame without ``segment_id`` is one segment (segment 0). Rows must be sorted by ``datetime_ns``;
    the frame's index is kept so the result aligns with ``df``.
    """
    n = len(df)
    ns = df["datetime_ns"].to_numpy(dtype=np.int64)
    if n > 1 and (np.diff(ns) < 0).any():
        raise ValueError("ticks must be sorted by datetime_ns (non-decreasing) before labelling")
    tick = _ticks(price_tick, n)
    mid = (_float(df, "bid_price1") + _float(df, "ask_price1")) / 2.0
    if "segment_id" in df.columns:
        seg = df["segment_id"].to_numpy(dtype=np.int64)
    else:
        seg = np.zeros(n, dtype=np.int64)
    day_codes = pd.factorize(df["trading_day"])[0]
    run_end = segment_run_end(seg, day_codes)
    idx = np.arange(n)
    out: dict[str, Any] = {
        "datetime_ns": ns,
        "trading_day": df["trading_day"].to_numpy(),
        "symbol": df["symbol"].to_numpy(),
        "segment_id": seg.astype(np.int32),
        "mid": mid,
    }
    for h in config.horizons:
        future = idx + h
        inside = future <= run_end
        mid_ahead = np.full(n, np.nan)
        mid_ahead[inside] = mid[future[inside]]
        dmid = (mid_ahead - mid) / tick
        out[f"y_{h}"] = classify(dmid, config.k)
        out[f"dmid_{h}"] = dmid
    return pd.DataFrame(out, index=df.index)


def labels_to_arrow(labels: pd.DataFrame, config: LabelConfig) -> pa.Table:
    """Convert ``compute_labels`` output to ``label_schema(config)`` (NaN class -> null int8)."""
    schema = label_schema(config)
    arrays = []
    for field in schema:
        col = labels[field.name]
        if field.name.startswith("y_"):
            y = col.to_numpy(dtype=np.float64)
            missing = np.isnan(y)
            arrays.append(pa.array(np.where(missing, 0, y).astype(np.int8), type=pa.int8(), mask=missing))
        elif pa.types.is_date32(field.type):
            arrays.append(pa.array(pd.to_datetime(col).dt.date, type=pa.date32()))
        else:
            arrays.append(pa.array(col.to_numpy(), type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def class_balance(labels: pd.DataFrame, horizon: int) -> dict[str, Any]:
    """Class counts and fractions (of labelled rows) for one horizon; for data-quality gates."""
    y = labels[f"y_{horizon}"].to_numpy(dtype=np.float64)
    labelled = y[~np.isnan(y)].astype(np.int64)
    counts = np.bincount(labelled, minlength=len(CLASS_NAMES))[: len(CLASS_NAMES)]
    total = int(labelled.size)
    return {
        "horizon": int(horizon),
        "rows": int(y.size),
        "labelled": total,
        "missing": int(y.size - total),
        "counts": {name: int(c) for name, c in zip(CLASS_NAMES, counts, strict=True)},
        "fractions": {
            name: (float(c) / total if total else float("nan"))
            for name, c in zip(CLASS_NAMES, counts, strict=True)
        },
    }
