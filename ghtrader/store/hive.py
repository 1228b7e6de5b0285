"""Open lake datasets with plain pyarrow: the explicit Hive partitioning of the lake's directories.

``pyarrow.dataset``'s ``partitioning="hive"`` infers every key as a string; the lake's keys are
``symbol`` (string) and ``date`` (the trading day, date32). Data files never store these columns
(``ghtrader.store.partition``), so the directory is the single source of both.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

PARTITION_SCHEMA = pa.schema([pa.field("symbol", pa.string()), pa.field("date", pa.date32())])


def lake_partitioning() -> ds.Partitioning:
    """``symbol=…/date=YYYY-MM-DD`` as typed Hive partitioning (for ``pyarrow.dataset.dataset``)."""
    return ds.partitioning(PARTITION_SCHEMA, flavor="hive")


def open_dataset(dataset_dir: Path) -> ds.Dataset:
    """A dataset directory (``lake_v2/ticks``, ``lake_v2/main_l5/ticks``, ``lake_v2/features`` …).

    Sees every ``part-*.parquet`` on disk, including an uncommitted one a crash left behind;
    ghtrader's own readers go through the manifests instead.
    """
    return ds.dataset(str(dataset_dir), format="parquet", partitioning=lake_partitioning())
