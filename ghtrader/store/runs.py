"""Grouping a tick table into its (symbol, trading_day) partitions: batch ingest and the live recorder.

Trap: a partition's rows must be in ``datetime_ns`` order, and rows with equal keys keep their input
order (a stable sort), so that a re-ingest of the same rows writes the same bytes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def partition_runs(table: pa.Table) -> tuple[np.ndarray | None, np.ndarray]:
    """``(order, starts)``: the row order grouping ``table`` into time-ordered partitions (None when
    it already is grouped) and, in that order, the first row of each partition."""
    codes = pc.dictionary_encode(table["symbol"]).combine_chunks().indices.to_numpy()
    days = table["trading_day"].combine_chunks().cast(pa.int32()).to_numpy()
    ns = table["datetime_ns"].combine_chunks().to_numpy(zero_copy_only=False)
    new_run = (codes[1:] != codes[:-1]) | (days[1:] != days[:-1])
    starts = np.flatnonzero(np.r_[True, new_run])
    keys = codes[starts].astype(np.int64) << 32 | (days[starts].astype(np.int64) & 0xFFFFFFFF)
    if not np.any((ns[1:] < ns[:-1]) & ~new_run) and len(np.unique(keys)) == len(keys):
        return None, starts
    order = np.lexsort((ns, days, codes))  # stable: by partition, then time
    codes, days = codes[order], days[order]
    return order, np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (days[1:] != days[:-1])])
