"""Reading committed days out of QuestDB: the interval query, the table assembly, the count check.

Traps: a coverage-index row promises ``rows`` rows; QuestDB can hold fewer (a dropped partition, a
lost WAL segment) or the WAL may not be applied yet, and a short answer must never pass as the day
(``IncompleteDay``). ``symbol`` and ``trading_day`` are constant within a day, so they are filled
in here rather than shipped per row; ``datetime_ns`` is always fetched so the rows can be counted.
A large day is fetched as row ranges (``LIMIT lo, hi`` in ``ts`` order) over parallel connections:
the server serializes and the client decodes both halves at once. A write applied between the range
queries would shift the rows, so the parts must join into strictly increasing ``datetime_ns`` (a
partition never holds two ticks at one nanosecond) and add up to the index's count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from ghtrader.store.questdb.conn import QuestDbConfig
from ghtrader.store.questdb.ddl import TableSpec
from ghtrader.store.questdb.entry import CoverageEntry
from ghtrader.store.questdb.pg import ts_literal
from ghtrader.store.questdb.wire import BinaryResult, WireConnection
from ghtrader.store.questdb.wire_decode import cast_to

CONSTANT_COLUMNS = ("symbol", "trading_day")
SPLIT_MIN_ROWS = 20_000  # below this a day is one query: the split costs more than it saves
NO_UPPER = 1 << 62  # the last range is open-ended, so extra rows on the server are still counted


class IncompleteDay(RuntimeError):
    """QuestDB's answer for a committed day does not hold the rows its coverage-index row promises."""

    def __init__(self, dataset: str, symbol: str, day: dt.date, expected: int, held: int, table: str):
        self.dataset, self.symbol, self.day = dataset, symbol, day
        self.expected, self.held = expected, held
        super().__init__(
            f"QuestDB {table} returned {held} rows for {symbol} {day} but its coverage index records "
            f"{expected}: the day is incomplete there (repair with `ghtrader db sync --symbol {symbol} "
            f"--start {day} --end {day}`)"
        )


def fetched_columns(schema: pa.Schema) -> list[str]:
    """Columns to ask QuestDB for: the schema's minus the per-day constants, ``datetime_ns`` always."""
    names = [n for n in schema.names if n not in CONSTANT_COLUMNS]
    return names if "datetime_ns" in names else ["datetime_ns", *names]


def day_sql(spec: TableSpec, columns: Sequence[str], day: dt.date, first_ns: int, last_ns: int) -> str:
    """One symbol-day by an interval scan (partition pruning on ``ts``, exact bounds on ``datetime_ns``).

    The symbol is bound as ``$1``.
    """
    return (
        f"SELECT {', '.join(columns)} FROM {spec.name} WHERE symbol = $1 "
        f"AND ts >= {ts_literal(first_ns)} AND ts <= {ts_literal(last_ns, up=True)} "
        f"AND datetime_ns >= {first_ns} AND datetime_ns <= {last_ns} "
        f"AND trading_day = '{day.isoformat()}' ORDER BY ts"
    )


def row_ranges(rows: int, streams: int) -> list[tuple[int, int]]:
    """``(lo, hi)`` row ranges splitting a day of ``rows`` over ``streams`` connections (last one open)."""
    parts = 1 if rows < SPLIT_MIN_ROWS else max(1, streams)
    step = -(-rows // parts)
    return [(k * step, NO_UPPER if k == parts - 1 else (k + 1) * step) for k in range(parts)]


def ranged_sql(sql: str, lo: int, hi: int) -> str:
    """``sql`` limited to rows ``[lo, hi)`` of its order."""
    return f"{sql} LIMIT {lo}, {hi}"


def joins_strictly(results: Sequence[BinaryResult]) -> bool:
    """True when the parts' ``datetime_ns`` join into one strictly increasing sequence."""
    if len(results) == 1:
        return True
    parts = [r.values[r.names.index("datetime_ns"), : r.rows] for r in results]
    joined = np.concatenate(parts)
    return bool(np.all(joined[1:] > joined[:-1]))


def _constant_string(text: str, n: int) -> pa.Array:
    data = text.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(data)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data * n))


def assemble(results: Sequence[BinaryResult], schema: pa.Schema, symbol: str, day: dt.date) -> pa.Table:
    """The fetched parts' columns plus the constant ones, as a table of exactly ``schema`` (one chunk per part)."""
    columns = []
    for field in schema:
        chunks = []
        for r in results:
            if field.name == "symbol":
                chunks.append(cast_to(_constant_string(symbol, r.rows), field.type))
            elif field.name == "trading_day":
                days = np.full(r.rows, (day - dt.date(1970, 1, 1)).days, dtype=np.int32)
                chunks.append(cast_to(pa.array(days, type=pa.int32()), field.type))
            else:
                chunks.append(r.column(field.name, field.type))
        columns.append(pa.chunked_array(chunks, type=field.type))
    return pa.Table.from_arrays(columns, schema=schema)


class DayReader:
    """``config.read_streams`` PGWire connections; fetches a day's rows as parallel row ranges."""

    def __init__(self, config: QuestDbConfig) -> None:
        self.wires = tuple(WireConnection(config) for _ in range(max(1, config.read_streams)))
        self.wire = self.wires[0]
        self._pool: ThreadPoolExecutor | None = None

    def fetch(self, sql: str, e: CoverageEntry) -> list[BinaryResult]:
        """The day ``sql`` selects (symbol bound from ``e``) as row ranges; one query again if they do not join."""
        ranges = row_ranges(e.rows, len(self.wires))
        if len(ranges) > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(len(self.wires) - 1, thread_name_prefix="questdb-read")
            jobs = [
                self._pool.submit(w.query, ranged_sql(sql, lo, hi), [e.symbol], min(hi, e.rows) - lo)
                for w, (lo, hi) in zip(self.wires[1:], ranges[1:], strict=False)
            ]
            lo, hi = ranges[0]
            results = [self.wire.query(ranged_sql(sql, lo, hi), [e.symbol], hi - lo)]
            results += [j.result() for j in jobs]
            if joins_strictly(results):
                return results
        return [self.wire.query(sql, [e.symbol], e.rows)]

    def close(self) -> None:
        for w in self.wires:
            w.close()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
