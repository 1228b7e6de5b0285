"""The binary PGWire decoder on synthetic server answers (no server): every value and NULL survives,
errors surface as one ``WireError``, and a truncated answer is never taken as complete."""

from __future__ import annotations

import datetime as dt
import math
import struct

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.store.questdb import wire

COLUMNS = [  # name, oid, arrow type, value strategy
    ("datetime_ns", 20, pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    ("last_price", 701, pa.float64(), st.floats(allow_nan=False, width=64)),
    ("segment_id", 23, pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    ("symbol", 1043, pa.string(), st.text(max_size=12)),
    ("trading_day", 1114, pa.date32(), st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1))),
    ("flag", 16, pa.bool_(), st.booleans()),
]
PG_EPOCH = dt.date(2000, 1, 1)


def msg(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("!I", len(body) + 4) + body


def encode(name: str, oid: int, value: object) -> bytes:
    if value is None:
        return struct.pack("!i", -1)
    if oid == 20:
        data = struct.pack("!q", value)
    elif oid == 701:
        data = struct.pack("!d", value)
    elif oid == 23:
        data = struct.pack("!i", value)
    elif oid == 16:
        data = b"\x01" if value else b"\x00"
    elif oid == 1114:
        assert isinstance(value, dt.date)
        data = struct.pack("!q", (value - PG_EPOCH).days * 86_400_000_000)
    else:
        data = str(value).encode()
    return struct.pack("!i", len(data)) + data


def answer(rows: list[tuple[object, ...]]) -> np.ndarray:
    desc = struct.pack("!h", len(COLUMNS)) + b"".join(
        n.encode() + b"\x00" + struct.pack("!IhIhih", 0, 0, oid, 8, -1, 1) for n, oid, _, _ in COLUMNS
    )
    body = msg(b"1", b"") + msg(b"2", b"") + msg(b"T", desc)
    for row in rows:
        fields = b"".join(encode(n, oid, v) for (n, oid, _, _), v in zip(COLUMNS, row, strict=True))
        body += msg(b"D", struct.pack("!h", len(COLUMNS)) + fields)
    body += msg(b"C", b"SELECT %d\x00" % len(rows)) + msg(b"Z", b"I")
    return np.frombuffer(body, dtype=np.uint8)


row_strategy = st.tuples(*(st.one_of(st.none(), strat) for _, _, _, strat in COLUMNS))


@settings(max_examples=60, deadline=None)
@given(st.lists(row_strategy, max_size=30))
def test_decoded_columns_equal_what_was_sent(rows: list[tuple[object, ...]]) -> None:
    buf = answer(rows)
    assert wire._ends_with_ready(buf)
    result = wire._parse_answer(buf)
    assert result.rows == len(rows) and result.names == tuple(c[0] for c in COLUMNS)
    for c, (name, _oid, typ, _) in enumerate(COLUMNS):
        got = result.column(name, typ).to_pylist()
        sent = [r[c] for r in rows]
        for g, s in zip(got, sent, strict=True):
            if isinstance(s, float):
                assert g == s or (math.isnan(g) and math.isnan(s))
            else:
                assert g == s, (name, g, s)


def test_error_response_is_one_wire_error() -> None:
    body = msg(b"E", b"SERROR\x00Mtable does not exist [table=x]\x00P18\x00\x00") + msg(b"Z", b"I")
    with pytest.raises(wire.WireError, match=r"table does not exist \[table=x\] \(position 18\)"):
        wire._parse_answer(np.frombuffer(body, dtype=np.uint8))


def test_truncated_answer_is_not_complete() -> None:
    full = answer([(1, 2.0, 3, "a", dt.date(2025, 3, 3), True)] * 3)
    assert wire._ends_with_ready(full)
    for cut in (7, len(full) // 2, len(full) - 1):
        assert not wire._ends_with_ready(full[:cut])


def test_to_table_keeps_the_schema_and_nulls() -> None:
    rows = [(5, None, None, "SHFE.cu2505", dt.date(2025, 3, 4), None), (6, 1.5, 7, None, None, False)]
    schema = pa.schema([(n, t) for n, _, t, _ in COLUMNS])
    table = wire.to_table(wire._parse_answer(answer(rows)), schema)
    assert table.schema == schema
    assert table.to_pylist()[0] == {
        "datetime_ns": 5,
        "last_price": None,
        "segment_id": None,
        "symbol": "SHFE.cu2505",
        "trading_day": dt.date(2025, 3, 4),
        "flag": None,
    }
