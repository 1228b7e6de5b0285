"""Pure helpers: content digest, PGWire row conversion, timestamp literals, the sync decision table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.schema import to_arrow
from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb.digest import table_digest
from ghtrader.store.questdb.pg import ts_literal
from ghtrader.store.questdb.reads import NO_UPPER, SPLIT_MIN_ROWS, joins_strictly, row_ranges
from ghtrader.store.questdb.sync import plan_day
from ghtrader.store.questdb.wire_decode import BinaryResult

DAY = dt.date(2025, 3, 4)


@pytest.fixture
def table(ticks: Callable[..., pd.DataFrame]) -> pa.Table:
    df = ticks("SHFE.cu2505", DAY, n=120, seed=5)
    df.loc[[3, 9], "ask_volume4"] = np.nan
    return to_arrow(df)


def test_digest_ignores_chunking_and_survives_the_lake(table: pa.Table, tmp_path: Path) -> None:
    rechunked = pa.concat_tables([table.slice(0, 50), table.slice(50)])
    assert table_digest(rechunked) == table_digest(table)
    lake = ParquetLake(tmp_path, durable=False)
    lake.write_partition("ticks", "SHFE.cu2505", DAY, table)
    assert table_digest(lake.read_day("ticks", "SHFE.cu2505", DAY)) == table_digest(table)


def test_digest_sees_value_null_and_row_changes(table: pa.Table) -> None:
    base = table_digest(table)
    vols = table["ask_volume4"].to_pylist()
    zeroed = table.set_column(
        table.schema.get_field_index("ask_volume4"),
        "ask_volume4",
        pa.array([v or 0 for v in vols], pa.int64()),
    )
    assert table_digest(zeroed) != base, "null and 0 must differ"
    prices = table["last_price"].to_numpy().copy()
    prices[7] += 10
    bumped = table.set_column(table.schema.get_field_index("last_price"), "last_price", pa.array(prices))
    assert table_digest(bumped) != base
    assert table_digest(table.slice(1)) != base


@pytest.mark.parametrize(
    "ns", [1_741_050_001_123_456_789, 1_741_050_001_000_000_000, 1_741_050_001_000_000_001]
)
def test_ts_literals_bracket_the_exact_ns(ns: int) -> None:
    def parse(lit: str) -> int:
        t = dt.datetime.fromisoformat(lit.strip("'").replace("Z", "+00:00"))
        return (t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1) * 1000

    lo, hi = parse(ts_literal(ns)), parse(ts_literal(ns, up=True))
    assert lo <= ns <= hi and hi - lo < 1000 * (1 + (ns % 1000 != 0))
    assert (lo == hi) == (ns % 1000 == 0)


@pytest.mark.parametrize(
    ("q", "lake", "index", "same", "prefer", "want"),
    [
        (100, 100, 100, None, "questdb", None),
        (100, 100, 100, True, "questdb", None),
        (0, 100, 100, None, "questdb", "to_questdb"),
        (60, 100, 100, None, "questdb", "to_questdb"),
        (100, 0, 100, None, "questdb", "to_lake"),
        (100, 40, 100, None, "lake", "to_lake"),
        (100, 100, None, None, "questdb", "index"),
        (100, 100, 90, None, "questdb", "index"),
        (100, 100, 100, False, "questdb", "to_lake"),
        (100, 100, 100, False, "lake", "to_questdb"),
        (0, 0, 100, None, "questdb", "lost"),
        (0, 0, None, None, "questdb", None),
    ],
)
def test_sync_decisions(
    q: int, lake: int, index: int | None, same: bool | None, prefer: str, want: str | None
) -> None:
    plan = plan_day(q, lake, index, same, prefer)  # type: ignore[arg-type]
    assert (plan[0] if plan else None) == want


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 500_000), st.integers(1, 4))
def test_row_ranges_cover_every_row_once(rows: int, streams: int) -> None:
    """Small days are one range; large ones split into contiguous ranges whose last one is open."""
    ranges = row_ranges(rows, streams)
    assert len(ranges) == (1 if rows < SPLIT_MIN_ROWS else streams)
    assert ranges[0][0] == 0 and ranges[-1][1] == NO_UPPER
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert all(lo < hi for lo, hi in ranges[:-1])


def _result(ns: list[int]) -> BinaryResult:
    values = np.array([ns], dtype=np.int64).reshape(1, len(ns))
    valid = np.ones_like(values, dtype=np.bool_)
    return BinaryResult(
        ("datetime_ns",),
        (20,),
        len(ns),
        values,
        np.zeros_like(values, np.int32),
        valid,
        np.empty(0, np.uint8),
    )


def test_parts_join_only_when_strictly_increasing() -> None:
    assert joins_strictly([_result([1, 2, 3])])
    assert joins_strictly([_result([1, 2]), _result([3, 4])])
    assert not joins_strictly([_result([1, 2, 3]), _result([3, 4])])  # a row read twice
    assert not joins_strictly([_result([1, 5]), _result([3, 4])])  # ranges out of order
