"""Fault injection for data-quality tests: corrupt the *content* of a committed partition.

The rewrite goes through ``ParquetLake.write_partition(mode="replace")``, so the new file, its
``.sha256`` and ``_manifest.json`` are all consistent: checksum/manifest audits pass and only the
content rules (GX readiness, the audit's sanity step) can catch it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa

from ghtrader.store.lake import ParquetLake

KINDS = ("crossed_book", "decreasing_volume", "both")


def inject_bad_day(
    lake_root: Path,
    symbol: str,
    day: dt.date,
    *,
    kind: str = "both",
    dataset: str = "ticks",
    row: int | None = None,
) -> Path:
    """Cross the book (ask1 < bid1) and/or make cumulative volume step down at one row; return the partition dir."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    lake = ParquetLake(Path(lake_root))
    if not lake.has_partition(dataset, symbol, day):
        raise ValueError(f"no committed {dataset} partition {symbol} {day}")
    table = lake.read_day(dataset, symbol, day)
    i = table.num_rows // 2 if row is None else row
    if not 0 < i < table.num_rows:
        raise ValueError(f"row {i} out of range for a partition of {table.num_rows} rows")
    if kind in ("crossed_book", "both"):
        bid = table["bid_price1"].to_numpy(zero_copy_only=False).copy()
        ask = table["ask_price1"].to_numpy(zero_copy_only=False).copy()
        bid[i], ask[i] = ask[i] + 10.0, bid[i]
        table = _set(table, "bid_price1", bid)
        table = _set(table, "ask_price1", ask)
    if kind in ("decreasing_volume", "both"):
        vol = table["volume"].to_numpy().copy()
        vol[i] = vol[i - 1] - 1
        table = _set(table, "volume", vol)
    lake.write_partition(dataset, symbol, day, table, mode="replace")
    return lake.partition_dir(dataset, symbol, day)


def _set(table: pa.Table, name: str, values: np.ndarray) -> pa.Table:
    idx = table.schema.get_field_index(name)
    return table.set_column(idx, table.schema.field(idx), pa.array(values, type=table.schema.field(idx).type))
