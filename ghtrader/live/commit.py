"""Append-commit of live ticks into the lake partitions batch ingest uses (symbol, trading day).

A flush adds one Parquet file to a partition and then atomically replaces ``_manifest.json`` with a
manifest listing the old files plus the new one. Readers trust only the manifest, so a ``kill -9``
at any instant leaves either the previous or the new partition visible (a crash leftover file is
invisible and removed by the next commit). Appending, not rewriting, keeps a flush's cost
proportional to the new rows; ``compact_partition`` folds the files into one (same bytes as a
batch write of the same rows) once a trading day is over or a partition has many files.

Trap: appended rows must be strictly later than the partition's last row; the recorder's
monotonic de-duplication guarantees it and ``append_partition`` refuses anything else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pyarrow as pa

from ghtrader.store.base import PartitionInfo, check_partition_table, dataset_schema
from ghtrader.store.files import ParquetOptions
from ghtrader.store.lake import ParquetLake
from ghtrader.store.manifest import Manifest
from ghtrader.store.partition import append_part, read_files

COMMAND = "ghtrader record"
# Live parts are LZ4: zstd costs ~7x more CPU per flush and would break the latency bound at high
# tick rates; compaction rewrites the partition with the lake's canonical (zstd) options.
LIVE_OPTIONS = ParquetOptions(compression="lz4", compression_level=1)


def append_partition(lake: ParquetLake, dataset: str, symbol: str, day: dt.date, table: pa.Table) -> Manifest:
    """Commit ``table`` (rows later than the partition's last row) as one more file of the partition.

    The commit itself is the data layer's ``append_part`` (under the symbol's writer lock, which
    also checks the rows start after the stored last row).
    """
    table = check_partition_table(table, dataset_schema(dataset), symbol, day)
    pdir = lake.partition_dir(dataset, symbol, day)
    manifest = append_part(
        pdir,
        table,
        dataset=dataset,
        options=LIVE_OPTIONS,
        durable=lake.durable,
        command=COMMAND,
        after_last=True,
    )
    if len(manifest.files) == 1:  # the partition's first file: it is no longer a no-data day
        lake._unmark_no_data(dataset, symbol, day)
    return manifest


def compact_partition(lake: ParquetLake, dataset: str, symbol: str, day: dt.date) -> PartitionInfo | None:
    """Rewrite a multi-file partition as one file (atomic replace); ``None`` when nothing to do."""
    m = lake.manifest(dataset, symbol, day)
    if m is None or len(m.files) <= 1:
        return None
    return lake.write_partition(dataset, symbol, day, lake.read_day(dataset, symbol, day), mode="replace")


def last_stored_row(lake: ParquetLake, dataset: str, symbol: str) -> pa.Table | None:
    """The symbol's last stored row (a one-row table), reading only its newest partition's last file.

    Trap: a restart seeds every symbol from here while the feed is already open; reading whole
    partitions (up to ``max_files`` appended parts each) would stall the feed for seconds. Appended
    parts are in time order, so the last file holds the last row; if it does not (a partition
    written otherwise), the whole partition is read.
    """
    for day in reversed(lake.days(dataset, symbol)):
        m = lake.manifest(dataset, symbol, day)
        if m is None or not m.files or m.max_datetime_ns is None:
            continue
        pdir = lake.partition_dir(dataset, symbol, day)
        table = read_files(pdir, replace(m, files=m.files[-1:]))
        ns = table["datetime_ns"].to_numpy()
        if not len(ns) or int(ns.max()) != m.max_datetime_ns:
            table = lake.read_day(dataset, symbol, day)
            ns = table["datetime_ns"].to_numpy()
        return table.slice(int(np.argmax(ns)), 1)
    return None


def compaction_due(
    touched: dict[tuple[str, dt.date], int], today: dt.date | None, max_files: int, per_round: int
) -> list[tuple[str, dt.date]]:
    """Partitions to compact this round: those of a finished trading day or with ``max_files`` files,
    past days first, then the most files; at most ``per_round`` (partitions reach ``max_files``
    together, and a burst of rewrites would starve the feed thread and hold the symbols' locks)."""
    due = [
        (k[1] >= (today or k[1]), -n, k)
        for k, n in touched.items()
        if (today is not None and k[1] < today) or n >= max_files
    ]
    return [k for *_, k in sorted(due)[:per_round]]
