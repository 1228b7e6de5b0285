"""Property: any valid tick-schema partition written to the lake reads back equal (sorted by time)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.schema import TICK_SCHEMA
from ghtrader.store import ParquetLake

symbols = st.from_regex(r"[A-Za-z][A-Za-z0-9.@_-]{0,15}", fullmatch=True)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
floats = st.floats(allow_nan=False, width=64)  # NaN != NaN under Table.equals; nulls cover "missing"
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@st.composite
def partitions(draw: st.DrawFn) -> tuple[str, dt.date, pa.Table]:
    symbol, day = draw(symbols), draw(days)
    n = draw(st.integers(min_value=1, max_value=40))
    columns: dict[str, pa.Array] = {}
    for field in TICK_SCHEMA:
        if field.name == "symbol":
            values: list[object] = [symbol] * n
        elif field.name == "trading_day":
            values = [day] * n
        else:
            elem = ints if pa.types.is_integer(field.type) else floats
            if field.nullable:
                elem = st.one_of(st.none(), elem)
            values = draw(st.lists(elem, min_size=n, max_size=n))
        columns[field.name] = pa.array(values, type=field.type)
    return symbol, day, pa.Table.from_pydict(columns, schema=TICK_SCHEMA)


@settings(max_examples=60, deadline=None)
@given(partitions())
def test_write_then_read_equals(part: tuple[str, dt.date, pa.Table]) -> None:
    symbol, day, table = part
    expected = table.take(pa.array(np.argsort(table["datetime_ns"].to_numpy(), kind="stable")))
    with tempfile.TemporaryDirectory() as tmp:
        lake = ParquetLake(Path(tmp) / "lake_v2", durable=False)
        info = lake.write_partition("ticks", symbol, day, table)
        assert info.rows == table.num_rows
        assert lake.days("ticks", symbol) == [day]
        assert lake.read_day("ticks", symbol, day).equals(expected)
        assert lake.write_partition("ticks", symbol, day, table).status == "unchanged"
