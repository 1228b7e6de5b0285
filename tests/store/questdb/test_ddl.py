"""DDL text of every QuestDB table: designated timestamp, partitioning, WAL, dedup keys, column types."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from ghtrader.store.base import DATASET_SCHEMAS
from ghtrader.store.questdb.ddl import (
    TableSpec,
    all_tables,
    create_table_sql,
    questdb_type,
    tick_table,
)

PREFIX = "ghtrader"


def _clause(sql: str, pattern: str) -> re.Match[str]:
    m = re.search(pattern, sql)
    assert m is not None, f"{pattern!r} not in:\n{sql}"
    return m


@pytest.mark.parametrize("spec", all_tables(PREFIX), ids=lambda s: s.name)
def test_every_table_has_timestamp_partition_wal_and_dedup_on_the_timestamp(spec: TableSpec) -> None:
    sql = create_table_sql(spec)
    assert sql.startswith(f"CREATE TABLE IF NOT EXISTS {spec.name} (")
    ts = _clause(sql, r"\) TIMESTAMP\((\w+)\) PARTITION BY (DAY|MONTH) WAL\s")
    keys = [k.strip() for k in _clause(sql, r"DEDUP UPSERT KEYS\(([^)]*)\);$").group(1).split(",")]
    assert ts.group(1) == "ts" and "ts" in keys
    declared = dict(re.findall(r"^\s+(\w+) (\w+),?$", sql, flags=re.M))
    assert list(declared) == [c for c, _ in spec.columns]
    assert declared["ts"] in ("TIMESTAMP", "TIMESTAMP_NS")
    assert set(keys) <= set(declared), "every dedup key must be a column"


def test_five_distinct_tables_share_the_prefix() -> None:
    names = [s.name for s in all_tables("itest")]
    assert len(set(names)) == 5 and all(n.startswith("itest_") for n in names)
    assert {"itest_ticks_raw_v2", "itest_ticks_main_l5_v2"} <= set(names)


@pytest.mark.parametrize("dataset", sorted(DATASET_SCHEMAS))
def test_tick_tables_keep_every_schema_column_and_exact_ns(dataset: str) -> None:
    spec = tick_table(dataset, PREFIX)
    sql = create_table_sql(spec)
    assert "PARTITION BY DAY WAL" in sql
    assert spec.column_type("ts") == "TIMESTAMP_NS"
    assert spec.column_type("datetime_ns") == "LONG"
    assert spec.dedup_keys == ("ts", "symbol", "datetime_ns")
    schema = DATASET_SCHEMAS[dataset]
    assert [c for c, _ in spec.columns] == ["ts", *schema.names]
    for field in schema:
        assert spec.column_type(field.name) == questdb_type(field)
    assert spec.column_type("symbol") == "SYMBOL" and spec.column_type("trading_day") == "DATE"
    assert spec.column_type("bid_volume3") == "LONG" and spec.column_type("ask_price5") == "DOUBLE"


def test_questdb_type_rejects_unmapped_types() -> None:
    with pytest.raises(ValueError, match="no QuestDB type"):
        questdb_type(pa.field("x", pa.list_(pa.int8())))


def test_spec_without_timestamp_in_dedup_keys_is_refused() -> None:
    bad = TableSpec("t", (("ts", "TIMESTAMP"), ("k", "SYMBOL")), "ts", "DAY", ("k",))
    with pytest.raises(ValueError, match="dedup key"):
        create_table_sql(bad)


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        tick_table("features", PREFIX)
