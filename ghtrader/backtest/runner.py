"""IO edge of the backtest: main_l5 ticks + a model's predictions in, result files out.

Contract with evaluation: ``<model_dir>/predictions.parquet`` with ``datetime_ns, trading_day,
p_down, p_flat, p_up`` (one row per predicted tick). Ticks without a prediction get no signal
(flat, or hold with ``hold``). Outputs go to ``<out_dir>/``: ``backtest.json`` (config, metrics),
``equity.parquet`` (downsampled), ``trades.parquet`` and ``daily.parquet``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ghtrader.backtest.engine import (
    REQUIRED_COLUMNS,
    BacktestConfig,
    BacktestResult,
    downsample,
    run_backtest,
)
from ghtrader.backtest.signals import signal_from_proba
from ghtrader.backtest.tier2.engine import Tier2Result
from ghtrader.market.contracts import ContractBook
from ghtrader.store.files import atomic_write
from ghtrader.store.lake import ParquetLake

PROBA_COLUMNS = ("p_down", "p_flat", "p_up")


@dataclass(frozen=True)
class SignalConfig:
    threshold: float = 0.3
    max_pos: int = 1
    hold: bool = False


def load_ticks(
    lake: ParquetLake, symbol: str, start: dt.date, end: dt.date, *, depth: bool = False
) -> pd.DataFrame:
    """The backtest columns of ``symbol`` (main_l5) over ``[start, end]``, sorted by time
    (``depth``: every column, as the tier-2 engine needs L5, volume, amount and last price)."""
    table = lake.read_range("main_l5", symbol, start, end, columns=None if depth else list(REQUIRED_COLUMNS))
    df = table.to_pandas(date_as_object=True)
    return df.sort_values("datetime_ns", kind="stable").reset_index(drop=True)


def load_predictions(path: Path) -> pd.DataFrame:
    if not Path(path).is_file():
        raise FileNotFoundError(f"predictions file not found: {path}")
    df = pq.read_table(path).to_pandas(date_as_object=True)
    missing = [c for c in ("datetime_ns", *PROBA_COLUMNS) if c not in df.columns]
    if missing:
        raise ValueError(f"{path} lacks columns: {', '.join(missing)}")
    return df


def align_proba(ticks: pd.DataFrame, preds: pd.DataFrame) -> np.ndarray:
    """(n_ticks, 3) probabilities matched on ``datetime_ns``; NaN where no prediction exists."""
    p = preds.drop_duplicates("datetime_ns", keep="last").set_index("datetime_ns")[list(PROBA_COLUMNS)]
    return p.reindex(ticks["datetime_ns"].to_numpy()).to_numpy(np.float64)


def backtest_predictions(
    ticks: pd.DataFrame,
    preds: pd.DataFrame,
    *,
    book: ContractBook,
    signal: SignalConfig,
    config: BacktestConfig,
) -> BacktestResult:
    proba = align_proba(ticks, preds)
    target = signal_from_proba(
        proba,
        threshold=signal.threshold,
        max_pos=signal.max_pos,
        hold=signal.hold,
        groups=ticks["segment_id"].to_numpy() if signal.hold else None,
    )
    return run_backtest(ticks, target, book=book, config=config)


def target_from_predictions(ticks: pd.DataFrame, preds: pd.DataFrame, signal: SignalConfig) -> np.ndarray:
    """The tier-1 signal rule (probabilities -> target lots), shared by both tiers."""
    return signal_from_proba(
        align_proba(ticks, preds),
        threshold=signal.threshold,
        max_pos=signal.max_pos,
        hold=signal.hold,
        groups=ticks["segment_id"].to_numpy() if signal.hold else None,
    )


def write_tier2_outputs(result: Tier2Result, out_dir: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """``<out_dir>/tier2/``: fills.parquet, equity.parquet (downsampled) and backtest.json."""
    d = out_dir / "tier2"
    d.mkdir(parents=True, exist_ok=True)
    _write_parquet(d / "fills.parquet", result.fills)
    _write_parquet(d / "equity.parquet", downsample(result.equity))
    payload = {**extra, "config": result.config.as_dict(), "metrics": result.metrics}
    atomic_write(d / "backtest.json", (json.dumps(payload, indent=2, default=float) + "\n").encode())
    return payload


def _write_parquet(path: Path, df: pd.DataFrame) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink, compression="zstd")
    atomic_write(path, sink.getvalue())


def write_outputs(result: BacktestResult, out_dir: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """Write the result files; return the ``backtest.json`` payload."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_parquet(out_dir / "equity.parquet", downsample(result.equity))
    _write_parquet(out_dir / "trades.parquet", result.trades)
    _write_parquet(out_dir / "daily.parquet", result.daily)
    payload = {**extra, "config": result.config.as_dict(), "metrics": result.metrics}
    atomic_write(out_dir / "backtest.json", (json.dumps(payload, indent=2, default=str) + "\n").encode())
    return payload


def record_in_meta(model_dir: Path, metrics: dict[str, Any], key: str = "backtest") -> bool:
    """Set ``metrics.<key>`` in ``<model_dir>/meta.json`` if it exists (atomic rewrite)."""
    path = model_dir / "meta.json"
    if not path.is_file():
        return False
    meta = json.loads(path.read_text())
    meta.setdefault("metrics", {})[key] = metrics
    atomic_write(path, (json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n").encode())
    return True
