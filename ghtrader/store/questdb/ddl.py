"""Explicit QuestDB DDL for ghTrader's tables (never let ILP auto-create them).

Tick tables: designated timestamp ``ts TIMESTAMP_NS`` (= ``datetime_ns``, QuestDB >= 9.1), plus the
exact ``datetime_ns LONG`` so nothing depends on the server's timestamp resolution; ``PARTITION BY
DAY`` (on UTC calendar days: a trading day's night session sits in the previous partition); WAL;
``DEDUP UPSERT KEYS(ts, symbol, datetime_ns)`` so re-sending a day replaces rows instead of doubling
them. Dedup would also silently collapse two ticks of one symbol at the same nanosecond, so the
store refuses such tables (the quality gate already rejects them).

Index tables (coverage, no-data, schedule) hold one row per (key, trading day); their designated
timestamp is the trading day at 00:00 UTC and ``DEDUP UPSERT KEYS`` makes the last write of a key
win, which is how a row is "updated". They are tiny, so they are partitioned by MONTH, as QuestDB
recommends for < 100K rows/day (DAY partitions would each hold a handful of rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ghtrader.store.base import DATASET_SCHEMAS


@dataclass(frozen=True)
class TableSpec:
    """One table: ordered ``(name, QuestDB type)`` columns, designated timestamp, partition, dedup keys."""

    name: str
    columns: tuple[tuple[str, str], ...]
    timestamp: str
    partition_by: str
    dedup_keys: tuple[str, ...]

    def column_type(self, name: str) -> str:
        return dict(self.columns)[name]


def questdb_type(field: pa.Field) -> str:
    """QuestDB column type of a tick-schema field (strings of ticks are low-cardinality: SYMBOL)."""
    t = field.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "SYMBOL"
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_int64(t):
        return "LONG"
    if pa.types.is_int32(t):
        return "INT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    raise ValueError(f"no QuestDB type for column {field.name} of type {t}")


TICK_TABLE_SUFFIX = {"ticks": "ticks_raw_v2", "main_l5": "ticks_main_l5_v2"}
SCHEDULE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ts", "TIMESTAMP"),
    ("variety", "SYMBOL"),
    ("trading_day", "DATE"),
    ("main_contract", "SYMBOL"),
    ("segment_id", "INT"),
    ("main_oi", "LONG"),
    ("challenger", "SYMBOL"),
    ("challenger_oi", "LONG"),
    ("reason", "VARCHAR"),
    ("schedule_hash", "SYMBOL"),
)


def tick_table_name(dataset: str, prefix: str) -> str:
    try:
        return f"{prefix}_{TICK_TABLE_SUFFIX[dataset]}"
    except KeyError:
        raise ValueError(
            f"unknown dataset {dataset!r}; expected one of {sorted(TICK_TABLE_SUFFIX)}"
        ) from None


def tick_table(dataset: str, prefix: str) -> TableSpec:
    """The tick table of ``dataset`` (``ticks`` or ``main_l5``): every schema column plus ``ts``."""
    name = tick_table_name(dataset, prefix)
    cols = (("ts", "TIMESTAMP_NS"), *((f.name, questdb_type(f)) for f in DATASET_SCHEMAS[dataset]))
    return TableSpec(name, cols, "ts", "DAY", ("ts", "symbol", "datetime_ns"))


def coverage_table(prefix: str) -> TableSpec:
    """Per (dataset, symbol, trading_day) commit record: rows, first/last ``datetime_ns``, content digest."""
    cols = (
        ("ts", "TIMESTAMP"),
        ("dataset", "SYMBOL"),
        ("symbol", "SYMBOL"),
        ("trading_day", "DATE"),
        ("row_count", "LONG"),
        ("first_datetime_ns", "LONG"),
        ("last_datetime_ns", "LONG"),
        ("row_hash", "VARCHAR"),
        ("schema_hash", "SYMBOL"),
    )
    return TableSpec(f"{prefix}_coverage_v2", cols, "ts", "MONTH", ("ts", "dataset", "symbol"))


def no_data_table(prefix: str) -> TableSpec:
    """Days with legitimately no ticks; ``no_data=false`` un-marks a day (rows cannot be deleted)."""
    cols = (
        ("ts", "TIMESTAMP"),
        ("dataset", "SYMBOL"),
        ("symbol", "SYMBOL"),
        ("trading_day", "DATE"),
        ("no_data", "BOOLEAN"),
    )
    return TableSpec(f"{prefix}_no_data_v2", cols, "ts", "MONTH", ("ts", "dataset", "symbol"))


def schedule_table(prefix: str) -> TableSpec:
    """The main-contract roll schedule, one row per (variety, trading day)."""
    return TableSpec(f"{prefix}_main_schedule_v2", SCHEDULE_COLUMNS, "ts", "MONTH", ("ts", "variety"))


def all_tables(prefix: str) -> list[TableSpec]:
    return [
        tick_table("ticks", prefix),
        tick_table("main_l5", prefix),
        schedule_table(prefix),
        coverage_table(prefix),
        no_data_table(prefix),
    ]


def create_table_sql(spec: TableSpec) -> str:
    """``CREATE TABLE IF NOT EXISTS`` (idempotent: running init twice is a no-op)."""
    if spec.timestamp not in dict(spec.columns) or spec.timestamp not in spec.dedup_keys:
        raise ValueError(f"{spec.name}: the designated timestamp must be a column and a dedup key")
    cols = ",\n".join(f"    {name} {qtype}" for name, qtype in spec.columns)
    keys = ", ".join(spec.dedup_keys)
    return (
        f"CREATE TABLE IF NOT EXISTS {spec.name} (\n{cols}\n) TIMESTAMP({spec.timestamp}) "
        f"PARTITION BY {spec.partition_by} WAL\nDEDUP UPSERT KEYS({keys});"
    )


def drop_table_sql(spec: TableSpec) -> str:
    return f"DROP TABLE IF EXISTS {spec.name};"
