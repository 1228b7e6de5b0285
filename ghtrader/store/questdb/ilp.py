"""ILP batches: Arrow partition tables -> pandas frames the ``questdb`` client serializes.

Pure functions build the frames (testable without a server through ``Buffer``); ``send_frame`` is
the only IO. Traps: the designated timestamp is passed as ``at=`` (a ``datetime64[ns, UTC]`` column
derived from ``datetime_ns``; with ILP protocol v2 it travels as exact nanoseconds) and is not sent
as a field; ``datetime_ns`` is also sent as a plain LONG. Null depth volumes use pandas ``Int64``
so the client omits the field (a null LONG), never a fake 0; a null DOUBLE travels as NaN, which is
QuestDB's NULL for DOUBLE (readers turn it back into null). DATE columns receive epoch
milliseconds (QuestDB casts an ILP integer into a DATE column). Each batch is flushed as one
transactional HTTP request, so a batch is committed whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ghtrader.store.questdb.ddl import TableSpec
from ghtrader.store.questdb.entry import CoverageEntry

MS_PER_DAY = 86_400_000
NS_PER_DAY = 86_400 * 10**9


def buffer_class() -> Any:
    """The client's ``Buffer`` (still documented under ``questdb.ingress``, deprecated as a module)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from questdb.ingress import Buffer
    return Buffer


def symbol_columns(spec: TableSpec) -> list[str]:
    return [name for name, qtype in spec.columns if qtype == "SYMBOL"]


def _date_ms(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return values.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64) * MS_PER_DAY


def tick_frame(table: pa.Table, spec: TableSpec) -> pd.DataFrame:
    """A tick partition table -> ILP frame: ``ts`` + every column, typed for the table ``spec``."""
    cols: dict[str, Any] = {}
    ns = table["datetime_ns"].to_numpy()
    cols["ts"] = pd.to_datetime(ns, unit="ns", utc=True)
    for name, qtype in spec.columns:
        if name == "ts":
            continue
        arr = table[name]
        if qtype == "SYMBOL":
            enc = pc.dictionary_encode(arr).combine_chunks()
            codes = enc.indices.to_numpy(zero_copy_only=False)
            cols[name] = pd.Categorical.from_codes(codes, categories=enc.dictionary.to_pylist())
        elif qtype == "DATE":
            cols[name] = _date_ms(arr)
        elif qtype in ("LONG", "INT"):
            if arr.null_count:
                cols[name] = pd.array(arr.to_pylist(), dtype="Int64")
            else:
                cols[name] = arr.to_numpy().astype(np.int64)
        elif qtype == "DOUBLE":
            cols[name] = arr.to_numpy(zero_copy_only=False).astype(np.float64)
        else:
            raise ValueError(f"{spec.name}.{name}: no ILP mapping for {qtype}")
    return pd.DataFrame(cols)


def day_ts(days: Sequence[dt.date]) -> pd.DatetimeIndex:
    """Trading days as 00:00 UTC timestamps (designated timestamp of the index tables)."""
    return pd.to_datetime([d.isoformat() for d in days], utc=True)


def day_ns(day: dt.date) -> int:
    """00:00 UTC of ``day`` in epoch nanoseconds (the index tables' designated timestamp)."""
    return (day - dt.date(1970, 1, 1)).days * NS_PER_DAY


def days_ms(days: Sequence[dt.date]) -> np.ndarray:
    epoch = dt.date(1970, 1, 1)
    return np.array([(d - epoch).days * MS_PER_DAY for d in days], dtype=np.int64)


IndexRow = tuple[dict[str, str], dict[str, Any], int]  # symbols, columns, designated ts (ns)


def coverage_row(e: CoverageEntry) -> IndexRow:
    """One coverage-index row for ``Buffer.row`` (no pandas: a batch commits many of them)."""
    return (
        {"dataset": e.dataset, "symbol": e.symbol, "schema_hash": e.schema_hash},
        {
            "trading_day": int(days_ms([e.trading_day])[0]),
            "row_count": e.rows,
            "first_datetime_ns": e.first_datetime_ns,
            "last_datetime_ns": e.last_datetime_ns,
            "row_hash": e.row_hash,
        },
        day_ns(e.trading_day),
    )


def no_data_row(dataset: str, symbol: str, day: dt.date, no_data: bool) -> IndexRow:
    return (
        {"dataset": dataset, "symbol": symbol},
        {"trading_day": int(days_ms([day])[0]), "no_data": no_data},
        day_ns(day),
    )


def fill_rows(buffer: Any, spec: TableSpec, rows: Sequence[IndexRow]) -> Any:
    from questdb import TimestampNanos

    for symbols, columns, at_ns in rows:
        buffer.row(spec.name, symbols=symbols, columns=columns, at=TimestampNanos(at_ns))
    return buffer


def send_rows(sender: Any, spec: TableSpec, rows: Sequence[IndexRow]) -> int:
    """Index rows in one transactional request."""
    if rows:
        sender.flush(fill_rows(sender.new_buffer(), spec, rows), transactional=True)
    return len(rows)


def no_data_frame(dataset: str, symbol: str, days: Sequence[dt.date], no_data: bool) -> pd.DataFrame:
    """No-data marker rows; ``no_data=False`` rows un-mark days that later got ticks."""
    n = len(days)
    return pd.DataFrame(
        {
            "ts": day_ts(days),
            "dataset": pd.Categorical([dataset] * n),
            "symbol": pd.Categorical([symbol] * n),
            "trading_day": days_ms(days),
            "no_data": np.full(n, no_data, dtype=bool),
        }
    )


def schedule_frame(var: str, schedule: pd.DataFrame, schedule_hash: str) -> pd.DataFrame:
    """Schedule rows (``ghtrader.schedule.oi_rule.SCHEDULE_COLUMNS``) for the schedule table."""
    days = [d if isinstance(d, dt.date) else pd.Timestamp(d).date() for d in schedule["trading_day"]]
    n = len(days)

    def ints(col: str) -> Any:
        return pd.array(pd.to_numeric(schedule[col], errors="coerce").round(), dtype="Int64")

    return pd.DataFrame(
        {
            "ts": day_ts(days),
            "variety": pd.Categorical([var] * n),
            "trading_day": days_ms(days),
            "main_contract": pd.Categorical(schedule["main_contract"].astype(str)),
            "segment_id": schedule["segment_id"].to_numpy(dtype=np.int64),
            "main_oi": ints("main_oi"),
            "challenger": pd.Categorical(schedule["challenger"].where(schedule["challenger"].notna(), None)),
            "challenger_oi": ints("challenger_oi"),
            "reason": pd.array(schedule["reason"].astype(str), dtype="str"),
            "schedule_hash": pd.Categorical([schedule_hash] * n),
        }
    )


def batches(frame: pd.DataFrame, batch_rows: int) -> Iterator[pd.DataFrame]:
    for a in range(0, len(frame), max(1, batch_rows)):
        yield frame.iloc[a : a + batch_rows]


def fill_buffer(buffer: Any, frame: pd.DataFrame, spec: TableSpec) -> Any:
    """Append ``frame`` to an ILP ``Buffer`` for table ``spec`` (``ts`` becomes the designated timestamp)."""
    buffer.dataframe(frame, table_name=spec.name, symbols=symbol_columns(spec), at="ts")
    return buffer


def build_buffer(frame: pd.DataFrame, spec: TableSpec, protocol_version: int = 2) -> Any:
    """A standalone ``Buffer`` holding ``frame`` (no server needed; what ``send_frame`` would send)."""
    return fill_buffer(buffer_class()(protocol_version=protocol_version), frame, spec)


def send_frames(sender: Any, frames: Sequence[pd.DataFrame], spec: TableSpec, batch_rows: int) -> int:
    """Send several partitions' frames in transactional requests of about ``batch_rows`` rows each.

    Partitions are packed whole into a request until it reaches ``batch_rows``; a partition larger
    than that is split (the coverage row, sent after all of them, is what commits a partition).
    """
    sent, buf, n = 0, sender.new_buffer(), 0
    for frame in frames:
        for part in batches(frame, batch_rows):
            fill_buffer(buf, part, spec)
            n += len(part)
            if n >= batch_rows:
                sender.flush(buf, transactional=True)
                sent, buf, n = sent + n, sender.new_buffer(), 0
    if n:
        sender.flush(buf, transactional=True)
    return sent + n


def send_frame(sender: Any, frame: pd.DataFrame, spec: TableSpec, batch_rows: int) -> int:
    """Send ``frame`` in transactional batches of ``batch_rows``; return the rows sent."""
    sent = 0
    for part in batches(frame, batch_rows):
        buf = fill_buffer(sender.new_buffer(), part, spec)
        sender.flush(buf, transactional=True)
        sent += len(part)
    return sent
