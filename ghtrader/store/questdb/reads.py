"""Reading committed days out of QuestDB: the interval query, the table assembly, the count check.

Traps: a coverage-index row promises ``rows`` rows; QuestDB can hold fewer (a dropped partition, a
lost WAL segment) or the WAL may not be applied yet, and a short answer must never pass as the day
(``IncompleteDay``). ``symbol`` and ``trading_day`` are constant within a day, so they are filled
in here rather than shipped per row; ``datetime_ns`` is always fetched so the rows can be counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from ghtrader.store.questdb.ddl import TableSpec
from ghtrader.store.questdb.pg import ts_literal
from ghtrader.store.questdb.wire import BinaryResult

CONSTANT_COLUMNS = ("symbol", "trading_day")


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


def assemble(result: BinaryResult, schema: pa.Schema, symbol: str, day: dt.date) -> pa.Table:
    """The fetched columns plus the constant ones, as a table of exactly ``schema``."""
    n = result.rows
    arrays = []
    for field in schema:
        if field.name == "symbol":
            arrays.append(pa.repeat(pa.scalar(symbol, field.type), n))
        elif field.name == "trading_day":
            arrays.append(pa.repeat(pa.scalar(day, field.type), n))
        else:
            arrays.append(result.column(field.name, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
