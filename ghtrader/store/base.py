"""The tick-store interface (Parquet lake today, QuestDB later) and the write-side table checks.

A partition is one (dataset, symbol, trading_day). Stores accept only tables of the dataset's exact
schema (``ghtrader.schema``), holding one symbol and one trading day, sorted by ``datetime_ns``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ghtrader.schema import MAIN_L5_SCHEMA, TICK_SCHEMA

WriteMode = Literal["skip_existing", "replace"]
WriteStatus = Literal["written", "unchanged", "kept_existing", "superseded"]
WRITE_MODES: tuple[str, ...] = ("skip_existing", "replace")

DATASET_SCHEMAS: dict[str, pa.Schema] = {"ticks": TICK_SCHEMA, "main_l5": MAIN_L5_SCHEMA}


@dataclass(frozen=True)
class PartitionInfo:
    """Outcome of one partition write.

    ``status``: ``written`` (new or replaced), ``unchanged`` (identical content already stored, nothing
    touched), ``kept_existing`` (``skip_existing`` found different content and left it alone),
    ``superseded`` (replaced a stored partition whose rows it strictly contains; old files archived).
    """

    dataset: str
    symbol: str
    trading_day: dt.date
    rows: int
    files: tuple[str, ...]
    sha256: str
    changed: bool
    status: WriteStatus


class TickStore(Protocol):
    """What the ingest, dataset builders and audit need from a tick store."""

    def write_partition(
        self, dataset: str, symbol: str, trading_day: dt.date, table: pa.Table, *, mode: WriteMode = ...
    ) -> PartitionInfo: ...

    def read_day(
        self, dataset: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table: ...

    def read_range(
        self, dataset: str, symbol: str, start: dt.date, end: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table: ...

    def days(self, dataset: str, symbol: str) -> list[dt.date]: ...

    def symbols(self, dataset: str) -> list[str]: ...

    def has_partition(self, dataset: str, symbol: str, day: dt.date) -> bool: ...

    def mark_no_data(self, dataset: str, symbol: str, days: Iterable[dt.date]) -> list[dt.date]: ...

    def no_data_days(self, dataset: str, symbol: str) -> list[dt.date]: ...

    def missing_days(self, dataset: str, symbol: str, wanted_days: Iterable[dt.date]) -> list[dt.date]: ...

    def write_sidecar(
        self, name: str, symbol: str, day: dt.date, table: pa.Table, *, mode: WriteMode = ...
    ) -> PartitionInfo: ...

    def read_sidecar(
        self, name: str, symbol: str, day: dt.date, columns: Sequence[str] | None = None
    ) -> pa.Table | None: ...


def dataset_schema(dataset: str) -> pa.Schema:
    """Schema of a tick dataset; ``ValueError`` for unknown names."""
    try:
        return DATASET_SCHEMAS[dataset]
    except KeyError:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {sorted(DATASET_SCHEMAS)}") from None


def check_mode(mode: str) -> None:
    if mode not in WRITE_MODES:
        raise ValueError(f"unknown write mode {mode!r}; expected one of {WRITE_MODES}")


def schema_difference(actual: pa.Schema, expected: pa.Schema) -> str | None:
    """Human-readable difference between two schemas (ignoring metadata), or ``None`` if equal."""
    if actual.equals(expected, check_metadata=False):
        return None
    problems: list[str] = []
    missing = [n for n in expected.names if n not in actual.names]
    extra = [n for n in actual.names if n not in expected.names]
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"unexpected columns {extra}")
    for field in expected:
        if field.name not in actual.names:
            continue
        got = actual.field(field.name)
        if not got.type.equals(field.type):
            problems.append(f"{field.name}: type {got.type} != {field.type}")
        elif got.nullable != field.nullable:
            problems.append(f"{field.name}: nullable={got.nullable} != {field.nullable}")
    if not problems:
        problems.append(f"column order {actual.names} != {expected.names}")
    return "; ".join(problems)


def check_partition_table(table: pa.Table, schema: pa.Schema, symbol: str, trading_day: dt.date) -> pa.Table:
    """Validate a partition table and return it sorted by ``datetime_ns`` (stable).

    Raises ``ValueError`` on a schema difference, an empty table (use no-data markers instead), or a row
    of another symbol / trading day.
    """
    diff = schema_difference(table.schema, schema)
    if diff is not None:
        raise ValueError(f"schema mismatch for {symbol} {trading_day}: {diff}")
    if table.num_rows == 0:
        raise ValueError(f"empty partition {symbol} {trading_day}: mark it as a no-data day instead")
    bad_sym = table.num_rows - pc.sum(pc.equal(table["symbol"], symbol).cast(pa.int64())).as_py()
    if bad_sym:
        raise ValueError(f"{bad_sym} rows of partition {symbol} {trading_day} have another symbol")
    day_eq = pc.equal(table["trading_day"], pa.scalar(trading_day, pa.date32()))
    bad_day = table.num_rows - pc.sum(day_eq.cast(pa.int64())).as_py()
    if bad_day:
        raise ValueError(f"{bad_day} rows of partition {symbol} {trading_day} have another trading_day")
    ts = table["datetime_ns"].to_numpy()
    if np.any(ts[1:] < ts[:-1]):
        table = table.take(pa.array(np.argsort(ts, kind="stable")))
    return table.combine_chunks()
