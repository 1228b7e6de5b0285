"""Quarantine sink: rows rejected at ingest, kept verbatim with a reason, never inside the lake.

Layout: ``<quarantine_dir>/<dataset>/symbol=SYM/date=YYYY-MM-DD/rejected-<hash16>.parquet`` plus a
``_rejected-<hash16>.json`` summary holding its sha256 (``_``-prefixed so Parquet readers skip it).
Every original column is stored as a nullable string so that unparseable values survive; the file
name is the content hash, so re-quarantining the same rows writes nothing.
Rows whose symbol or trading day is unknown go under ``symbol=_unknown`` / ``date=_unknown``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ghtrader.store.files import atomic_write, encode_parquet, sha256_hex
from ghtrader.store.manifest import encode_json

UNKNOWN = "_unknown"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT or value is pd.NA


def _day_key(value: object) -> str:
    if _missing(value):
        return UNKNOWN
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return UNKNOWN
    return UNKNOWN if ts is pd.NaT else ts.date().isoformat()


def _symbol_key(value: object) -> str:
    if _missing(value):
        return UNKNOWN
    text = str(value)
    return text if text and "/" not in text and not text.startswith(".") else UNKNOWN


def stringify(df: pd.DataFrame) -> pa.Table:
    """All columns as nullable strings (float repr is exact), in the frame's column order."""
    arrays = []
    for col in df.columns:
        s = df[col]
        mask = s.isna().to_numpy()
        values = [None if m else str(v) for v, m in zip(s.tolist(), mask, strict=True)]
        arrays.append(pa.array(values, type=pa.string()))
    return pa.Table.from_arrays(arrays, names=[str(c) for c in df.columns])


def quarantine_rows(
    quarantine_dir: Path, dataset: str, rejected: pd.DataFrame, *, source: str, durable: bool = True
) -> list[Path]:
    """Write rejected rows (must have a ``reason`` column) grouped by (symbol, trading day).

    Returns the parquet paths holding these rows (existing identical files are reused untouched).
    """
    if rejected.empty:
        return []
    if "reason" not in rejected.columns:
        raise ValueError("rejected rows need a 'reason' column")
    cols = [c for c in rejected.columns if c != "reason"] + ["reason"]
    frame = rejected[cols].reset_index(drop=True)
    n = len(frame)
    syms = frame["symbol"].map(_symbol_key).tolist() if "symbol" in frame.columns else [UNKNOWN] * n
    days = frame["trading_day"].map(_day_key).tolist() if "trading_day" in frame.columns else [UNKNOWN] * n
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(syms, days, strict=True)):
        groups.setdefault(key, []).append(i)
    paths = []
    for (sym, day), rows in sorted(groups.items()):
        pdir = quarantine_dir / dataset / f"symbol={sym}" / f"date={day}"
        part = frame.iloc[rows]
        paths.append(
            _write_group(pdir, part, dataset=dataset, symbol=sym, day=day, source=source, durable=durable)
        )
    return paths


def _write_group(
    pdir: Path, part: pd.DataFrame, *, dataset: str, symbol: str, day: str, source: str, durable: bool
) -> Path:
    table = stringify(part)
    data = encode_parquet(table)
    digest = sha256_hex(data)
    path = pdir / f"rejected-{digest[:16]}.parquet"
    if path.is_file() and path.stat().st_size == data.size:
        return path
    pdir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, durable=durable)
    reasons = Counter(str(r) for r in part["reason"])
    summary = {
        "dataset": dataset,
        "symbol": symbol,
        "trading_day": day,
        "source": source,
        "rows": len(part),
        "reasons": dict(sorted(reasons.items())),
        "file": path.name,
        "sha256": digest,
    }
    atomic_write(pdir / f"_{path.stem}.json", encode_json(summary), durable=durable)
    return path
