"""A minimal PGWire client for bulk tick reads: binary results straight into numpy / Arrow buffers.

Why not psycopg here: it turns every value into a Python object (a one-day read of ~50k rows x 30
columns is 1.5M objects, ~20x slower than the Parquet lake). This client sends one extended-protocol
query asking for *binary* results, receives the whole answer into one buffer, and a numba pass
decodes the big-endian fields column by column. Only reads use it; DDL, coverage and WAL queries stay
on psycopg (``pg.PgClient``).

Traps: QuestDB sends a NULL as field length -1 (a NaN DOUBLE is NULL on the server: it comes back
as null, as the lake stores it); ``TIMESTAMP``/``DATE`` values travel as microseconds since
2000-01-01 (PG epoch); the password goes into the cleartext/MD5 login message only, never into an
error. Only numeric, timestamp, date, boolean and text columns are decoded (what ticks hold).
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import pyarrow as pa

from ghtrader.store.questdb.conn import QuestDbConfig, QuestDbUnavailable

PROTOCOL_V3 = 196608
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
PG_EPOCH_DAYS = 10_957
US_PER_DAY = 86_400_000_000
# type oid -> (kind, fixed width): kind 0 = variable (text), 8/4/2/1 = fixed width integer bits
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
    """The server answered a query with an ErrorResponse."""


@dataclass(frozen=True)
class BinaryResult:
    """Decoded columns: ``values[c]`` holds fixed-width fields as int64 bits (or text offsets), ``valid``
    the non-null mask, ``lengths`` the text lengths; ``buf`` is the raw answer text fields point into."""

    names: tuple[str, ...]
    oids: tuple[int, ...]
    rows: int
    values: np.ndarray
    lengths: np.ndarray
    valid: np.ndarray
    buf: np.ndarray

    def column(self, name: str, type_: pa.DataType) -> pa.Array:
        """Column ``name`` as an Arrow array of ``type_`` (nulls preserved)."""
        c = self.names.index(name)
        oid = self.oids[c]
        raw, valid = self.values[c, : self.rows], self.valid[c, : self.rows]
        mask = None if valid.all() else ~valid
        if OID_KIND.get(oid) == 0:
            return _text_array(self.buf, raw, self.lengths[c, : self.rows], valid).cast(type_)
        if oid in (1114, 1184):
            if pa.types.is_date32(type_):
                days = ((raw + PG_EPOCH_US) // US_PER_DAY).astype(np.int32)
                return pa.array(days, type=pa.int32(), mask=mask).cast(pa.date32())
            return pa.array(raw + PG_EPOCH_US, type=pa.int64(), mask=mask).cast(type_)
        if oid == 1082:
            return pa.array((raw + PG_EPOCH_DAYS).astype(np.int32), mask=mask).cast(type_)
        if oid == 701:
            return pa.array(raw.view(np.float64), type=pa.float64(), mask=mask).cast(type_)
        if oid == 700:
            f32 = raw.astype(np.int32).view(np.float32)
            return pa.array(f32, type=pa.float32(), mask=mask).cast(type_)
        if oid == 16:
            return pa.array(raw != 0, type=pa.bool_(), mask=mask).cast(type_)
        return pa.array(raw, type=pa.int64(), mask=mask).cast(type_)


def _text_array(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, valid: np.ndarray) -> pa.Array:
    lens = np.where(valid, lengths, 0).astype(np.int64)
    offsets = np.zeros(len(lens) + 1, dtype=np.int32)
    np.cumsum(lens, out=offsets[1:])
    total = int(offsets[-1])
    idx = np.repeat(starts - offsets[:-1], lens) + np.arange(total, dtype=np.int64)
    data = buf[idx].tobytes()
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    return pa.StringArray.from_buffers(len(lens), pa.py_buffer(offsets.tobytes()), pa.py_buffer(data), bitmap)


@numba.njit(cache=True, inline="always")
def _be4(buf: np.ndarray, i: int) -> int:
    """Signed big-endian int32 at ``buf[i]``."""
    v = (np.int64(buf[i]) << 24) | (np.int64(buf[i + 1]) << 16) | (np.int64(buf[i + 2]) << 8) | buf[i + 3]
    return v - (np.int64(1) << 32) if v >= (np.int64(1) << 31) else v


@numba.njit(cache=True, inline="always")
def _be8(buf: np.ndarray, i: int) -> np.int64:
    """Big-endian 64 bits at ``buf[i]`` as int64 (two's complement wraps as on the wire)."""
    hi = np.uint64((np.uint32(buf[i]) << 24) | (np.uint32(buf[i + 1]) << 16) | (np.uint32(buf[i + 2]) << 8))
    hi = hi | np.uint64(buf[i + 3])
    lo = np.uint64(
        (np.uint32(buf[i + 4]) << 24) | (np.uint32(buf[i + 5]) << 16) | (np.uint32(buf[i + 6]) << 8)
    )
    lo = lo | np.uint64(buf[i + 7])
    return np.int64((hi << np.uint64(32)) | lo)


@numba.njit(cache=True, nogil=True)
def _decode_rows(
    buf: np.ndarray, start: int, end: int, kinds: np.ndarray, values: np.ndarray, lengths: np.ndarray,
    valid: np.ndarray,
) -> int:  # fmt: skip
    """Walk the messages in ``buf[start:end]``; decode every DataRow ('D') into column-major arrays; return rows."""
    ncols = kinds.shape[0]
    i, r = start, 0
    while i < end:
        mlen = _be4(buf, i + 1)
        if buf[i] == 68:
            j = i + 7
            for c in range(ncols):
                flen = _be4(buf, j)
                j += 4
                if flen < 0:
                    valid[c, r] = False
                    values[c, r] = 0
                    continue
                valid[c, r] = True
                k = kinds[c]
                if k == 8:
                    values[c, r] = _be8(buf, j)
                elif k == 0:
                    values[c, r] = j
                    lengths[c, r] = flen
                elif k == 4:
                    values[c, r] = _be4(buf, j)
                elif k == 2:
                    v = (np.int64(buf[j]) << 8) | buf[j + 1]
                    values[c, r] = v - 65536 if v >= 32768 else v
                else:
                    values[c, r] = buf[j]
                j += flen
            r += 1
        i += 1 + mlen
    return r


def _msg(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("!I", len(body) + 4) + body


def _cstr(text: str) -> bytes:
    return text.encode() + b"\x00"


def _error_text(body: bytes) -> str:
    fields = {}
    for part in body.split(b"\x00"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields.get("M", "unknown error") + (f" (position {fields['P']})" if "P" in fields else "")


class WireConnection:
    """One PGWire connection (loopback or LAN; QuestDB OSS speaks no TLS on PGWire)."""

    def __init__(self, config: QuestDbConfig) -> None:
        self.config = config
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def _connect(self) -> socket.socket:
        cfg = self.config
        try:
            sock = socket.create_connection((cfg.host, cfg.pg_port), timeout=cfg.connect_timeout_s)
        except OSError as exc:
            raise QuestDbUnavailable(
                f"QuestDB PGWire is not reachable at {cfg.pg_addr} ({exc.strerror or type(exc).__name__})"
            ) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        params = _cstr("user") + _cstr(cfg.user) + _cstr("database") + _cstr(cfg.database) + b"\x00"
        body = struct.pack("!I", PROTOCOL_V3) + params
        sock.sendall(struct.pack("!I", len(body) + 4) + body)
        while True:
            tag, payload = self._read_message()
            if tag == b"R":
                code = struct.unpack_from("!I", payload)[0]
                if code == 3:
                    sock.sendall(_msg(b"p", _cstr(cfg.password.get_secret_value())))
                elif code == 5:
                    inner = hashlib.md5(
                        (cfg.password.get_secret_value() + cfg.user).encode(), usedforsecurity=False
                    ).hexdigest()
                    outer = hashlib.md5(inner.encode() + payload[4:8], usedforsecurity=False).hexdigest()
                    sock.sendall(_msg(b"p", _cstr("md5" + outer)))
                elif code != 0:
                    raise QuestDbUnavailable(f"QuestDB PGWire at {cfg.pg_addr}: unsupported auth {code}")
            elif tag == b"E":
                self.close()
                raise QuestDbUnavailable(
                    f"QuestDB PGWire at {cfg.pg_addr} refused the login: {_error_text(payload)}"
                )
            elif tag == b"Z":
                sock.settimeout(300.0)  # a stalled server fails the query instead of hanging it
                return sock

    def _read_exact(self, n: int) -> bytes:
        assert self._sock is not None
        chunks, got = [], 0
        while got < n:
            chunk = self._sock.recv(n - got)
            if not chunk:
                raise ConnectionResetError("connection closed")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _read_message(self) -> tuple[bytes, bytes]:
        head = self._read_exact(5)
        return head[:1], self._read_exact(struct.unpack_from("!I", head, 1)[0] - 4)

    def _read_until_ready(self, size: int = 1 << 20) -> np.ndarray:
        """Receive everything up to and including ReadyForQuery ('Z') into one uint8 array."""
        assert self._sock is not None
        buf = bytearray(max(size, 1 << 16))
        view, n = memoryview(buf), 0
        while True:
            if n == len(buf):
                view.release()
                grown = bytearray(2 * len(buf))
                grown[:n] = buf
                buf = grown
                view = memoryview(buf)
            got = self._sock.recv_into(view[n:])
            if not got:
                raise ConnectionResetError("connection closed")
            n += got
            # ReadyForQuery is 'Z' + int32 5 + status byte: the last 6 bytes of the answer
            if n >= 6 and buf[n - 6] == 0x5A and buf[n - 5 : n - 1] == b"\x00\x00\x00\x05":
                arr = np.frombuffer(buf, dtype=np.uint8, count=n)
                if _ends_with_ready(arr):
                    return arr

    def query(self, sql: str, params: Sequence[str] = (), expect_bytes: int = 0) -> BinaryResult:
        """Run ``sql`` (``$1``.. bound to text ``params``) and decode every column in binary.

        ``expect_bytes`` sizes the receive buffer up front (a day read knows its row count).
        """
        with self._lock:
            buf = self._roundtrip(sql, params, expect_bytes)
        return _parse_answer(buf)

    def _roundtrip(self, sql: str, params: Sequence[str], expect_bytes: int = 0) -> np.ndarray:
        """Send the query, return the raw answer; a socket that broke while idle is reopened once."""
        for attempt in (1, 2):
            fresh = self._sock is None
            try:
                if self._sock is None:
                    self._connect()
                assert self._sock is not None
                self._sock.sendall(_query_messages(sql, params))
                return self._read_until_ready(4096 + expect_bytes)
            except OSError as exc:
                self.close()
                if isinstance(exc, QuestDbUnavailable) or fresh or attempt == 2:
                    if isinstance(exc, QuestDbUnavailable):
                        raise
                    raise QuestDbUnavailable(
                        f"QuestDB PGWire at {self.config.pg_addr} failed: {exc}"
                    ) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.sendall(_msg(b"X", b""))
            self._sock.close()
            self._sock = None


def row_bytes(ncols: int) -> int:
    """Upper bound of one binary DataRow of ``ncols`` 8-byte columns (header + length-prefixed fields)."""
    return 7 + 12 * ncols


def _query_messages(sql: str, params: Sequence[str]) -> bytes:
    """Parse + Bind (text parameters, every result column binary) + Describe + Execute + Sync."""
    bind_params = b"".join(struct.pack("!i", len(p.encode())) + p.encode() for p in params)
    bind = b"\x00\x00" + struct.pack("!hh", 0, len(params)) + bind_params + struct.pack("!hh", 1, 1)
    return (
        _msg(b"P", b"\x00" + _cstr(sql) + struct.pack("!h", 0))
        + _msg(b"B", bind)
        + _msg(b"D", b"P\x00")
        + _msg(b"E", b"\x00" + struct.pack("!i", 0))
        + _msg(b"S", b"")
    )


def _ends_with_ready(arr: np.ndarray) -> bool:
    """True when the message chain from offset 0 ends exactly with a ReadyForQuery."""
    return bool(_chain_end(arr, 0, arr.shape[0]) == arr.shape[0] - 6)


@numba.njit(cache=True)
def _chain_end(buf: np.ndarray, start: int, end: int) -> int:
    """Offset of the last complete message that starts within ``buf[start:end]`` (-1 if none)."""
    i, last = start, -1
    while i + 5 <= end:
        mlen = _be4(buf, i + 1)
        if i + 1 + mlen > end:
            break
        last = i
        i += 1 + mlen
    return last


def _parse_answer(buf: np.ndarray) -> BinaryResult:
    """Split the answer into RowDescription, DataRows and errors; decode the rows."""
    raw = buf
    i, end = 0, buf.shape[0]
    names: list[str] = []
    oids: list[int] = []
    rows_start = rows_end = -1
    while i < end:
        tag = chr(raw[i])
        mlen = int.from_bytes(raw[i + 1 : i + 5].tobytes(), "big")
        body_at = i + 5
        if tag == "T":
            body = raw[body_at : i + 1 + mlen].tobytes()
            n = struct.unpack_from("!h", body)[0]
            p = 2
            for _ in range(n):
                z = body.index(b"\x00", p)
                names.append(body[p:z].decode())
                p = z + 1
                oids.append(struct.unpack_from("!I", body, p + 6)[0])
                p += 18
        elif tag == "D":
            if rows_start < 0:
                rows_start = i
            rows_end = _data_rows_end(buf, i, end)
            i = rows_end
            continue
        elif tag == "E":
            raise WireError(_error_text(raw[body_at : i + 1 + mlen].tobytes()))
        i += 1 + mlen
    kinds = np.array([OID_KIND.get(o, -1) for o in oids], dtype=np.int64)
    if (kinds < 0).any():
        bad = [f"{n} (oid {o})" for n, o in zip(names, oids, strict=True) if OID_KIND.get(o) is None]
        raise WireError(f"no binary decoder for columns {bad}")
    max_rows = 0 if rows_start < 0 else (rows_end - rows_start) // (7 + 4 * max(1, len(names)))
    values = np.empty((len(names), max_rows), dtype=np.int64)
    lengths = np.zeros((len(names), max_rows), dtype=np.int32)
    valid = np.empty((len(names), max_rows), dtype=np.bool_)
    rows = 0 if rows_start < 0 else _decode_rows(buf, rows_start, rows_end, kinds, values, lengths, valid)
    return BinaryResult(tuple(names), tuple(oids), rows, values, lengths, valid, buf)


@numba.njit(cache=True)
def _data_rows_end(buf: np.ndarray, start: int, end: int) -> int:
    """Offset just past the run of consecutive DataRow messages starting at ``start``."""
    i = start
    while i < end and buf[i] == 68:
        i += 1 + _be4(buf, i + 1)
    return i


def to_table(result: BinaryResult, schema: pa.Schema) -> pa.Table:
    """The result as a table of exactly ``schema`` (every schema column must be in the result)."""
    arrays = [result.column(f.name, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)
