"""The binary PGWire decoder on synthetic server answers (no server): every value and NULL survives
however the answer is cut into received chunks, errors surface as one ``WireError`` after the whole
answer, and a truncated answer is never taken as complete."""

from __future__ import annotations

import datetime as dt
import math
import struct

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.store.questdb import wire_decode as wire

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


def feed_in_chunks(buf: np.ndarray, cuts: list[int], expect_rows: int = 0) -> wire.BinaryResult:
    """Feed ``buf`` the way ``WireConnection`` does: chunks at ``cuts``, the unconsumed tail carried over."""
    decoder = wire.AnswerDecoder(expect_rows)
    pending = b""
    bounds = sorted({c for c in cuts if 0 < c < len(buf)}) + [len(buf)]
    start = 0
    for end in bounds:
        data = np.frombuffer(pending + buf[start:end].tobytes(), dtype=np.uint8)
        used = decoder.feed(data, 0, len(data))
        pending = data[used:].tobytes()
        start = end
    assert pending == b""
    return decoder.result()


def assert_columns_equal(result: wire.BinaryResult, rows: list[tuple[object, ...]]) -> None:
    assert result.rows == len(rows) and result.names == tuple(c[0] for c in COLUMNS)
    for c, (name, _oid, typ, _) in enumerate(COLUMNS):
        got = result.column(name, typ).to_pylist()
        sent = [r[c] for r in rows]
        for g, s in zip(got, sent, strict=True):
            if isinstance(s, float):
                assert g == s or (math.isnan(g) and math.isnan(s))
            else:
                assert g == s, (name, g, s)


@settings(max_examples=60, deadline=None)
@given(st.lists(row_strategy, max_size=30))
def test_decoded_columns_equal_what_was_sent(rows: list[tuple[object, ...]]) -> None:
    assert_columns_equal(wire.parse_answer(answer(rows)), rows)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(row_strategy, max_size=40),
    st.lists(st.integers(0, 4000), max_size=12),
    st.integers(0, 50),
)
def test_any_chunking_and_sizing_decodes_the_same(
    rows: list[tuple[object, ...]], cuts: list[int], expect: int
) -> None:
    """Rows and text arrive split anywhere; the arrays start too small or too large."""
    assert_columns_equal(feed_in_chunks(answer(rows), cuts, expect), rows)


INT8_ONLY = [("a", 20, pa.int64()), ("b", 701, pa.float64())]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), st.floats(width=64)), max_size=30
    ),
    st.lists(st.integers(0, 2000), max_size=6),
)
def test_fixed_width_fast_path_and_nulls_mix(rows: list[tuple[int | None, float]], cuts: list[int]) -> None:
    """All-8-byte rows take the fast path; a row with a NULL takes the general one, in any order."""
    desc = struct.pack("!h", 2) + b"".join(
        n.encode() + b"\x00" + struct.pack("!IhIhih", 0, 0, oid, 8, -1, 1) for n, oid, _ in INT8_ONLY
    )
    body = msg(b"T", desc)
    for a, b in rows:
        fields = encode("a", 20, a) + encode("b", 701, b)
        body += msg(b"D", struct.pack("!h", 2) + fields)
    body += msg(b"C", b"SELECT\x00") + msg(b"Z", b"I")
    result = feed_in_chunks(np.frombuffer(body, dtype=np.uint8), cuts)
    assert result.column("a", pa.int64()).to_pylist() == [a for a, _ in rows]
    got = result.column("b", pa.float64()).to_pylist()
    for g, (_, b) in zip(got, rows, strict=True):
        assert g == b or (math.isnan(g) and math.isnan(b))


def test_error_response_is_one_wire_error() -> None:
    body = msg(b"E", b"SERROR\x00Mtable does not exist [table=x]\x00P18\x00\x00") + msg(b"Z", b"I")
    with pytest.raises(wire.WireError, match=r"table does not exist \[table=x\] \(position 18\)"):
        wire.parse_answer(np.frombuffer(body, dtype=np.uint8))


def test_error_waits_for_ready_and_unknown_columns_are_refused() -> None:
    """An error is raised only once ReadyForQuery arrived (the connection stays in step)."""
    body = msg(b"E", b"SERROR\x00Mboom\x00\x00")
    decoder = wire.AnswerDecoder()
    decoder.feed(np.frombuffer(body, dtype=np.uint8), 0, len(body))
    assert not decoder.done
    desc = struct.pack("!h", 1) + b"uuid\x00" + struct.pack("!IhIhih", 0, 0, 2950, 16, -1, 1)
    odd = msg(b"T", desc) + msg(b"D", struct.pack("!h", 1) + struct.pack("!i", 2) + b"xy") + msg(b"Z", b"I")
    with pytest.raises(wire.WireError, match=r"no binary decoder for columns \['uuid \(oid 2950\)'\]"):
        wire.parse_answer(np.frombuffer(odd, dtype=np.uint8))


def test_truncated_answer_is_not_complete() -> None:
    full = answer([(1, 2.0, 3, "a", dt.date(2025, 3, 3), True)] * 3)
    for cut in (7, len(full) // 2, len(full) - 1):
        decoder = wire.AnswerDecoder()
        decoder.feed(full[:cut], 0, cut)
        assert not decoder.done
        with pytest.raises(wire.WireError, match="before ReadyForQuery"):
            decoder.result()


def test_to_table_keeps_the_schema_and_nulls() -> None:
    rows = [(5, None, None, "SHFE.cu2505", dt.date(2025, 3, 4), None), (6, 1.5, 7, None, None, False)]
    schema = pa.schema([(n, t) for n, _, t, _ in COLUMNS])
    table = wire.to_table(wire.parse_answer(answer(rows)), schema)
    assert table.schema == schema
    assert table.to_pylist()[0] == {
        "datetime_ns": 5,
        "last_price": None,
        "segment_id": None,
        "symbol": "SHFE.cu2505",
        "trading_day": dt.date(2025, 3, 4),
        "flag": None,
    }
