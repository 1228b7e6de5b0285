"""Decoding a binary PGWire answer as it arrives: numba turns DataRows into column arrays.

``AnswerDecoder.feed`` takes whatever bytes the socket delivered so far and decodes every complete
message, so the client decodes while the server is still sending (a one-day read is ~18 MB; decoding
after the last byte would add its whole decode time to the transfer time). Text fields are copied
into the decoder's own arena, so the receive buffer can be reused for the next chunk.

Traps: QuestDB sends a NULL as field length -1 (a NaN DOUBLE is NULL on the server: it comes back as
null, as the lake stores it); ``TIMESTAMP``/``DATE`` values travel as microseconds since 2000-01-01
(PG epoch). An ErrorResponse is remembered and raised only after ReadyForQuery, so the connection is
left in step with the server. Only numeric, timestamp, date, boolean and text columns are decoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ghtrader.store.questdb.wire_rows import (
    NEED_DATA,
    NEED_ROWS,
    NEED_TEXT,
    UNKNOWN_KIND,
    be4,
    decode_rows,
)

PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
PG_EPOCH_DAYS = 10_957
US_PER_DAY = 86_400_000_000
# type oid -> kind: 0 = variable (text), 8/4/2/1 = fixed-width integer bytes
OID_KIND = {
    16: 1,  # bool
    18: 1,  # char
    21: 2,  # int2
    23: 4,  # int4
    20: 8,  # int8
    700: 4,  # float4
    701: 8,  # float8
    1082: 4,  # date (days since 2000-01-01)
    1114: 8,  # timestamp
    1184: 8,  # timestamptz
    25: 0,  # text
    1043: 0,  # varchar
}


class WireError(RuntimeError):
    """The server answered a query with an ErrorResponse (or a column no decoder handles)."""


@dataclass(frozen=True)
class BinaryResult:
    """Decoded columns: ``values[c]`` holds fixed-width fields as int64 bits (or text offsets into
    ``text``), ``valid`` the non-null mask, ``lengths`` the text lengths (only for text columns)."""

    names: tuple[str, ...]
    oids: tuple[int, ...]
    rows: int
    values: np.ndarray
    lengths: np.ndarray
    valid: np.ndarray
    text: np.ndarray

    def column(self, name: str, type_: pa.DataType) -> pa.Array:
        """Column ``name`` as an Arrow array of ``type_`` (nulls preserved)."""
        c = self.names.index(name)
        oid = self.oids[c]
        raw, valid = self.values[c, : self.rows], self.valid[c, : self.rows]
        mask = None if valid.all() else ~valid
        if OID_KIND.get(oid) == 0:
            return _text_array(self.text, raw, self.lengths[c, : self.rows], valid).cast(type_)
        if oid in (1114, 1184):
            if pa.types.is_date32(type_):
                days = ((raw + PG_EPOCH_US) // US_PER_DAY).astype(np.int32)
                return pa.array(days, type=pa.int32(), mask=mask).cast(pa.date32())
            return pa.array(raw + PG_EPOCH_US, type=pa.int64(), mask=mask).cast(type_)
        if oid == 1082:
            return pa.array((raw + PG_EPOCH_DAYS).astype(np.int32), mask=mask).cast(type_)
        if oid == 701:
            return cast_to(pa.array(raw.view(np.float64), type=pa.float64(), mask=mask), type_)
        if oid == 700:
            f32 = raw.astype(np.int32).view(np.float32)
            return pa.array(f32, type=pa.float32(), mask=mask).cast(type_)
        if oid == 16:
            return pa.array(raw != 0, type=pa.bool_(), mask=mask).cast(type_)
        return cast_to(pa.array(raw, type=pa.int64(), mask=mask), type_)


def cast_to(arr: pa.Array, type_: pa.DataType) -> pa.Array:
    """``arr`` as ``type_`` (no cast, hence no copy, when it already is)."""
    return arr if arr.type == type_ else arr.cast(type_)


def _text_array(text: np.ndarray, starts: np.ndarray, lengths: np.ndarray, valid: np.ndarray) -> pa.Array:
    lens = np.where(valid, lengths, 0).astype(np.int64)
    offsets = np.zeros(len(lens) + 1, dtype=np.int32)
    np.cumsum(lens, out=offsets[1:])
    total = int(offsets[-1])
    idx = np.repeat(starts - offsets[:-1], lens) + np.arange(total, dtype=np.int64)
    data = text[idx].tobytes()
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    return pa.StringArray.from_buffers(len(lens), pa.py_buffer(offsets.tobytes()), pa.py_buffer(data), bitmap)


def _error_text(body: bytes) -> str:
    fields = {}
    for part in body.split(b"\x00"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields.get("M", "unknown error") + (f" (position {fields['P']})" if "P" in fields else "")


class Scratch:
    """Row-major decode buffers kept by a connection between queries (answers are copied out of them
    column by column, so the next query may overwrite them); at most ``limit_bytes`` are kept."""

    def __init__(self, limit_bytes: int = 256 << 20) -> None:
        self.limit_bytes = limit_bytes
        self._values = np.empty(0, dtype=np.int64)
        self._valid = np.empty(0, dtype=np.bool_)

    def take(self, rows: int, ncols: int) -> tuple[np.ndarray, np.ndarray]:
        n = rows * ncols
        if n * 9 > self.limit_bytes:
            return np.empty((rows, ncols), dtype=np.int64), np.empty((rows, ncols), dtype=np.bool_)
        if len(self._values) < n:
            self._values, self._valid = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.bool_)
        return self._values[:n].reshape(rows, ncols), self._valid[:n].reshape(rows, ncols)


class AnswerDecoder:
    """One query's answer, decoded incrementally; ``done`` after its ReadyForQuery.

    ``expect_rows`` sizes the column arrays up front (a day read knows its row count); they double
    when an answer holds more.
    """

    def __init__(self, expect_rows: int = 0, scratch: Scratch | None = None) -> None:
        self.done = False
        self.rows = 0
        self._capacity = max(int(expect_rows), 1024)
        self._names: tuple[str, ...] = ()
        self._oids: tuple[int, ...] = ()
        self._kinds: np.ndarray = np.empty(0, dtype=np.int64)
        self._values: np.ndarray | None = None
        self._lengths = np.zeros((0, 0), dtype=np.int32)
        self._valid = np.zeros((0, 0), dtype=np.bool_)
        self._text = np.empty(0, dtype=np.uint8)
        self._tpos = 0
        self._error: WireError | None = None
        self._scratch = scratch

    def feed(self, buf: np.ndarray, start: int, end: int) -> int:
        """Decode every complete message in ``buf[start:end]``; return the offset of the first one left."""
        i = start
        while i < end and not self.done:
            if self._values is not None and buf[i] == 68:
                i, self.rows, self._tpos, why = decode_rows(
                    buf, i, end, self._kinds, self._values, self._lengths, self._valid, self.rows,
                    self._text, self._tpos,
                )  # fmt: skip
                if why == NEED_DATA:
                    return i
                if why == NEED_ROWS:
                    self._grow_rows()
                elif why == NEED_TEXT:
                    self._grow_text(be4(buf, i + 1))
                continue
            if end - i < 5:
                return i
            mlen = struct.unpack_from("!I", buf[i + 1 : i + 5].tobytes())[0]
            if i + 1 + mlen > end:
                return i
            self._message(chr(buf[i]), buf[i + 5 : i + 1 + mlen].tobytes())
            i += 1 + mlen
        return i

    def _message(self, tag: str, body: bytes) -> None:
        if tag == "T":
            self._describe(body)
        elif tag == "D":  # a DataRow before any RowDescription: nothing to decode it with
            self._error = self._error or WireError("DataRow without a RowDescription")
        elif tag == "E":
            self._error = WireError(_error_text(body))
        elif tag == "Z":
            self.done = True

    def _describe(self, body: bytes) -> None:
        n = struct.unpack_from("!h", body)[0]
        names, oids, p = [], [], 2
        for _ in range(n):
            z = body.index(b"\x00", p)
            names.append(body[p:z].decode())
            p = z + 1
            oids.append(struct.unpack_from("!I", body, p + 6)[0])
            p += 18
        self._names, self._oids = tuple(names), tuple(oids)
        self._kinds = np.array([OID_KIND.get(o, UNKNOWN_KIND) for o in oids], dtype=np.int64)
        if (self._kinds == UNKNOWN_KIND).any():
            bad = [f"{n} (oid {o})" for n, o in zip(names, oids, strict=True) if o not in OID_KIND]
            self._error = WireError(f"no binary decoder for columns {bad}")
        if self._scratch is not None:  # the connection's reused row buffers (no fresh pages per query)
            self._values, self._valid = self._scratch.take(self._capacity, n)
        else:
            self._values = np.empty((self._capacity, n), dtype=np.int64)
            self._valid = np.empty((self._capacity, n), dtype=np.bool_)
        self._lengths = np.zeros((self._capacity, n), dtype=np.int32)
        if (self._kinds == 0).any():
            self._text = np.empty(1 << 16, dtype=np.uint8)

    def _grow_rows(self) -> None:
        assert self._values is not None
        self._capacity *= 2
        self._values = _widened(self._values, self._capacity)
        self._lengths = _widened(self._lengths, self._capacity)
        self._valid = _widened(self._valid, self._capacity)

    def _grow_text(self, need: int) -> None:
        grown = np.empty(max(2 * len(self._text), self._tpos + need), dtype=np.uint8)
        grown[: self._tpos] = self._text[: self._tpos]
        self._text = grown

    def result(self) -> BinaryResult:
        """The decoded answer (``WireError`` if the server reported one)."""
        if not self.done:
            raise WireError("the answer ended before ReadyForQuery")
        if self._error is not None:
            raise self._error
        if self._values is None:
            empty = np.empty((0, 0), dtype=np.int64)
            return BinaryResult((), (), 0, empty, self._lengths, self._valid, self._text)
        n = self.rows  # the decoder fills rows (row-major, cache-friendly); columns are one transpose
        lengths = (
            self._lengths[:n].T.copy()
            if (self._kinds == 0).any()
            else np.zeros((len(self._names), n), np.int32)
        )
        return BinaryResult(
            self._names,
            self._oids,
            n,
            np.ascontiguousarray(self._values[:n].T),
            lengths,
            np.ascontiguousarray(self._valid[:n].T),
            self._text,
        )


def _widened(a: np.ndarray, cap: int) -> np.ndarray:
    out = np.zeros((cap, a.shape[1]), dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


def parse_answer(buf: np.ndarray, expect_rows: int = 0) -> BinaryResult:
    """Decode a whole answer held in one buffer (it must end with ReadyForQuery)."""
    decoder = AnswerDecoder(expect_rows)
    decoder.feed(buf, 0, buf.shape[0])
    return decoder.result()


def to_table(result: BinaryResult, schema: pa.Schema) -> pa.Table:
    """The result as a table of exactly ``schema`` (every schema column must be in the result)."""
    arrays = [result.column(f.name, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)
