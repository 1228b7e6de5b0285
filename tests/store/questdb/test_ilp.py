"""ILP batches built without a server (``Buffer``), parsed back line by line and compared with the input."""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ghtrader.schema import MAIN_L5_SCHEMA, to_arrow
from ghtrader.store.questdb import ilp
from ghtrader.store.questdb.ddl import coverage_table, no_data_table, schedule_table, tick_table
from ghtrader.store.questdb.entry import CoverageEntry

DAY = dt.date(2025, 3, 4)
DOUBLE_BINARY = 16


def _scalar(data: bytes, i: int) -> tuple[Any, int]:
    """Parse one field value at ``data[i]`` (text v1, or v2 binary double ``==<16><8 bytes LE>``)."""
    if data[i : i + 1] == b"=":
        assert data[i + 1] == DOUBLE_BINARY
        return struct.unpack("<d", data[i + 2 : i + 10])[0], i + 10
    if data[i : i + 1] == b'"':
        end = data.index(b'"', i + 1)
        return data[i + 1 : end].decode(), end + 1
    k = i
    while data[k : k + 1] not in (b",", b" ", b"\n"):
        k += 1
    tok = data[i:k].decode()
    if tok.endswith("i"):
        return int(tok[:-1]), k
    if tok in ("t", "f"):
        return tok == "t", k
    return float(tok), k


def parse_ilp(data: bytes) -> list[dict[str, Any]]:
    """ILP lines -> dicts with ``_table``, tags, fields and ``_ts`` (str, unit suffix kept)."""
    rows, i = [], 0
    while i < len(data):
        j = data.index(b" ", i)
        table, *tags = data[i:j].decode().split(",")
        row: dict[str, Any] = {"_table": table, "_tags": set()}
        for t in tags:
            k, v = t.split("=", 1)
            row[k] = v
            row["_tags"].add(k)
        i = j + 1
        while True:
            eq = data.index(b"=", i)
            key = data[i:eq].decode()
            row[key], i = _scalar(data, eq + 1)
            sep, i = data[i : i + 1], i + 1
            if sep == b" ":
                end = data.index(b"\n", i)
                row["_ts"], i = data[i:end].decode(), end + 1
                break
            if sep == b"\n":
                break
        rows.append(row)
    return rows


def _ts_ns(token: str) -> int:
    return int(token[:-1]) if token.endswith("n") else int(token)


def _assert_round_trip(table: pa.Table, rows: list[dict[str, Any]]) -> None:
    assert len(rows) == table.num_rows
    for name in table.column_names:
        expected = table[name].to_pylist()
        for row, want in zip(rows, expected, strict=True):
            if want is None and pa.types.is_floating(table.schema.field(name).type):
                assert name not in row or math.isnan(row[name]), f"null {name} must be NaN or omitted"
            elif want is None:
                assert name not in row, f"null {name} must be omitted"
            elif isinstance(want, dt.date):
                assert row[name] == (want - dt.date(1970, 1, 1)).days * ilp.MS_PER_DAY
            else:
                assert row[name] == want, name
    assert [_ts_ns(r["_ts"]) for r in rows] == table["datetime_ns"].to_pylist()


@pytest.fixture
def tick_table_with_gaps(ticks: Callable[..., pd.DataFrame]) -> pa.Table:
    df = ticks("SHFE.cu2505", DAY, n=300, seed=3)
    df.loc[[5, 17], "bid_volume2"] = np.nan
    df.loc[[8], "ask_price4"] = np.nan
    df["datetime_ns"] = df["datetime_ns"] + np.arange(len(df)) % 997  # sub-microsecond digits
    return to_arrow(df)


@pytest.mark.parametrize("version", [1, 2])
def test_tick_batch_round_trips_exactly(tick_table_with_gaps: pa.Table, version: int) -> None:
    spec = tick_table("ticks", "ghtrader")
    buf = ilp.build_buffer(ilp.tick_frame(tick_table_with_gaps, spec), spec, protocol_version=version)
    rows = parse_ilp(bytes(buf))
    assert {r["_table"] for r in rows} == {spec.name}
    assert all(r["_tags"] == {"symbol"} for r in rows)
    _assert_round_trip(tick_table_with_gaps, rows)
    assert all(r["_ts"].endswith("n") == (version == 2) for r in rows)
    assert "ts" not in rows[0], "the designated timestamp is not sent as a field"


def test_l1_only_rows_omit_levels_2_to_5(ticks: Callable[..., pd.DataFrame]) -> None:
    df = ticks("KQ.m@SHFE.cu", DAY, n=50, seed=1)
    deep = [c for c in df.columns if c[-1] in "2345" and ("price" in c or "volume" in c)]
    df[deep] = np.nan
    table = to_arrow(df)
    spec = tick_table("ticks", "ghtrader")
    rows = parse_ilp(bytes(ilp.build_buffer(ilp.tick_frame(table, spec), spec, protocol_version=1)))
    volumes = [c for c in deep if "volume" in c]
    prices = [c for c in deep if "price" in c]
    for row in rows:
        assert not set(volumes) & set(row), "null LONG levels are omitted, never 0"
        assert all(math.isnan(row[c]) for c in prices if c in row), "null DOUBLE is QuestDB's NaN"
        assert {"bid_volume1", "ask_volume1", "bid_price1"} <= set(row)


def test_main_l5_batch_sends_provenance(ticks: Callable[..., pd.DataFrame]) -> None:
    df = ticks("KQ.m@SHFE.cu", DAY, n=40, seed=2)
    df["underlying_contract"] = ["SHFE.cu2504"] * 25 + ["SHFE.cu2505"] * 15
    df["segment_id"] = np.int32(3)
    df["schedule_hash"] = "abc123"
    table = to_arrow(df, MAIN_L5_SCHEMA)
    spec = tick_table("main_l5", "ghtrader")
    rows = parse_ilp(bytes(ilp.build_buffer(ilp.tick_frame(table, spec), spec, protocol_version=1)))
    assert all(r["_tags"] == {"symbol", "underlying_contract", "schedule_hash"} for r in rows)
    _assert_round_trip(table, rows)


def test_batches_cover_every_row_once(tick_table_with_gaps: pa.Table) -> None:
    spec = tick_table("ticks", "ghtrader")
    frame = ilp.tick_frame(tick_table_with_gaps, spec)
    parts = list(ilp.batches(frame, 128))
    assert [len(p) for p in parts] == [128, 128, 44]
    joined = b"".join(bytes(ilp.build_buffer(p, spec, 1)) for p in parts)
    assert joined == bytes(ilp.build_buffer(frame, spec, 1))


def test_coverage_and_no_data_rows() -> None:
    cov_spec = coverage_table("g")
    entry = CoverageEntry("ticks", "SHFE.cu2505", DAY, 7, 11, 99, "ab" * 32, "h1")
    (row,) = parse_ilp(
        bytes(ilp.fill_rows(ilp.buffer_class()(protocol_version=1), cov_spec, [ilp.coverage_row(entry)]))
    )
    midnight_ns = (DAY - dt.date(1970, 1, 1)).days * ilp.NS_PER_DAY
    assert row["_tags"] == {"dataset", "symbol", "schema_hash"}
    assert (row["row_count"], row["first_datetime_ns"], row["last_datetime_ns"]) == (7, 11, 99)
    assert row["row_hash"] == "ab" * 32 and _ts_ns(row["_ts"]) == midnight_ns
    assert row["trading_day"] == midnight_ns // 10**6
    days = [DAY, DAY + dt.timedelta(days=1)]
    nd = parse_ilp(
        bytes(ilp.build_buffer(ilp.no_data_frame("ticks", "S", days, False), no_data_table("g"), 1))
    )
    assert [r["no_data"] for r in nd] == [False, False]
    rows = [ilp.no_data_row("ticks", "S", d, False) for d in days]
    assert (
        parse_ilp(bytes(ilp.fill_rows(ilp.buffer_class()(protocol_version=1), no_data_table("g"), rows)))
        == nd
    )
    assert [_ts_ns(r["_ts"]) for r in nd] == [midnight_ns, midnight_ns + ilp.NS_PER_DAY]


def test_schedule_rows_omit_missing_challenger() -> None:
    sched = pd.DataFrame(
        {
            "trading_day": [DAY, DAY + dt.timedelta(days=1)],
            "main_contract": ["SHFE.cu2504", "SHFE.cu2505"],
            "segment_id": [0, 1],
            "main_oi": [1000.0, 1200.0],
            "challenger": [None, "SHFE.cu2506"],
            "challenger_oi": [np.nan, 900.0],
            "reason": ["bootstrap", "oi 1.2x"],
        }
    )
    rows = parse_ilp(bytes(ilp.build_buffer(ilp.schedule_frame("cu", sched, "h"), schedule_table("g"), 1)))
    assert "challenger" not in rows[0] and "challenger_oi" not in rows[0]
    assert rows[1]["challenger"] == "SHFE.cu2506" and rows[1]["challenger_oi"] == 900
    assert [r["segment_id"] for r in rows] == [0, 1] and rows[0]["variety"] == "cu"
