"""The Hive keys of the lake's partition directories ``<dataset dir>/symbol=SYM/date=DAY``.

``pyarrow.dataset``'s ``partitioning="hive"`` infers every key as a string; the lake's keys are
``symbol`` (string) and ``date`` (the trading day, date32), hence ``lake_partitioning``. Data files
never store these columns: a ``symbol`` string column inside the files conflicts with the ``symbol=``
directory key and breaks ``pd.read_parquet(dir)``. ``split_hive_columns`` strips them before a commit
(``ghtrader.store.partition``), the manifest records each one (name, position, type) and
``restore_hive_columns`` re-inserts it on read, so the directory is the single source of both.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ghtrader.store.manifest import Manifest, PartitionColumn

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


# Column types that may be stripped per key (pandas 3 strings arrive as large_string).
HIVE_TYPES: dict[str, tuple[pa.DataType, ...]] = {
    "symbol": (pa.string(), pa.large_string()),
    "date": (pa.date32(),),
}


def partition_key(pdir: Path) -> tuple[Path, str, dt.date]:
    """``(dataset dir, symbol, day)`` of ``<dataset dir>/symbol=SYM/date=DAY``."""
    sdir = pdir.parent
    if not (sdir.name.startswith("symbol=") and pdir.name.startswith("date=")):
        raise ValueError(f"{pdir} is not a symbol=…/date=… partition directory")
    return (
        sdir.parent,
        sdir.name.removeprefix("symbol="),
        dt.date.fromisoformat(pdir.name.removeprefix("date=")),
    )


def split_hive_columns(
    table: pa.Table, symbol: str, day: dt.date
) -> tuple[pa.Table, tuple[PartitionColumn, ...]]:
    """Drop the columns the directory names already hold (constant and equal to the key).

    A ``symbol``/``date`` column with another type or value is kept (it is data, not the key).
    """
    values = {"symbol": pa.scalar(symbol, pa.string()), "date": pa.scalar(day, pa.date32())}
    stripped: list[PartitionColumn] = []
    for name, want in values.items():
        if name not in table.column_names:
            continue
        idx = table.schema.get_field_index(name)
        field = table.schema.field(idx)
        if not any(field.type.equals(t) for t in HIVE_TYPES[name]) or table.num_rows == 0:
            continue
        col = table.column(idx)
        if col.null_count or not pc.all(pc.equal(col, want.cast(field.type))).as_py():
            continue
        stripped.append(PartitionColumn(name, idx, str(field.type), field.nullable))
    out = table.drop_columns([c.name for c in stripped]) if stripped else table
    return out, tuple(sorted(stripped, key=lambda c: c.index))


def restore_hive_columns(table: pa.Table, m: Manifest, columns: list[str] | None = None) -> pa.Table:
    """Re-insert the manifest's partition columns (at their positions, or in ``columns`` order)."""
    if not m.partition_columns:
        return table
    values = {"symbol": m.symbol, "date": m.trading_day}
    n = table.num_rows
    consts = {
        c.name: (
            pa.field(c.name, pa.type_for_alias(c.type), nullable=c.nullable),
            pa.repeat(pa.scalar(values[c.name], pa.type_for_alias(c.type)), n),
        )
        for c in m.partition_columns
    }
    if columns is not None:
        fields = [consts[c][0] if c in consts else table.schema.field(c) for c in columns]
        arrays = [consts[c][1] if c in consts else table.column(c) for c in columns]
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    for c in m.partition_columns:  # ascending index: each insert lands at its final position
        field, arr = consts[c.name]
        table = table.add_column(c.index, field, arr)
    return table
