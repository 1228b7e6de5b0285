"""Ingest pipeline: source frames -> quality gate -> quarantine + whole-partition lake writes.

Traps: input is sorted by (symbol, datetime_ns) before the gate (sources and CSV exports may be in
any order; the gate's sequential rules would otherwise reject all but one row of a reversed file);
bad rows never reach the lake silently (they go to the quarantine sink with a reason) and a day
left with under ``min_kept`` of its rows is reported in ``short_days``; a stored day whose rows a new
import strictly contains is superseded (old files kept), any other difference is a ``conflict``; a
partition is written whole or not at all; a requested symbol with zero ticks is marked no-data so the
day is not refetched forever, but a symbol whose ticks were all rejected is *not* (it had data); with
``skip_existing`` a day whose partitions all exist (or are no-data) is skipped without fetching.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.quality.rules import validate_ticks
from ghtrader.schema import TICK_COLUMNS, to_arrow
from ghtrader.sources.base import DayBatch, DaySource
from ghtrader.store.base import PartitionInfo, TickStore, WriteMode, check_mode, dataset_schema
from ghtrader.store.daycheck import DEFAULT_MIN_KEPT, SYMBOL_REASONS, short_days, sort_for_gate
from ghtrader.store.ingest_summary import IngestSummary, summarize
from ghtrader.store.quarantine import quarantine_rows
from ghtrader.store.runs import partition_runs

__all__ = ["IngestSummary", "ingest_batch", "ingest_frame", "ingest_source_days", "write_frame"]
ProgressFn = Callable[[dt.date, IngestSummary], None]
ROW_ID = "__ingest_row_id"
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)
T = TypeVar("T")
R = TypeVar("R")


def _check_quarantine_outside(store: TickStore, quarantine_dir: Path) -> None:
    root = getattr(store, "root", None)
    if root is None:
        return
    q, r = Path(quarantine_dir).resolve(), Path(root).resolve()
    if q == r or r in q.parents:
        raise ValueError(f"quarantine dir {quarantine_dir} must not be inside the lake {root}")


def _validate(
    df: pd.DataFrame, schema: pa.Schema, calendar: TradingCalendar, book: ContractBook
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the tick gate; re-attach dataset columns beyond the tick schema (main_l5 provenance).

    The gate returns clean rows in tick columns only, in input order, and rejected rows with every
    input column; a row-id column that only survives in the rejected frame recovers which rows passed.
    """
    extra = [c for c in schema.names if c not in TICK_COLUMNS and c in df.columns]
    if not extra:
        return validate_ticks(df, calendar=calendar, book=book)
    tagged = df.assign(**{ROW_ID: np.arange(len(df))})
    clean, rejected = validate_ticks(tagged, calendar=calendar, book=book)
    ok = np.ones(len(df), dtype=bool)
    ok[rejected[ROW_ID].to_numpy(dtype=np.int64)] = False
    if int(ok.sum()) != len(clean):
        raise RuntimeError("tick gate returned rows that are neither clean nor rejected")
    extras = df.loc[ok, extra].reset_index(drop=True)
    clean = pd.concat([clean.reset_index(drop=True), extras], axis=1)
    return clean, rejected.drop(columns=[ROW_ID])


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """``[fn(x) for x in items]`` on up to ``workers`` threads (Parquet encoding and zstd release the GIL)."""
    todo = list(items)
    if workers <= 1 or len(todo) <= 1:
        return [fn(x) for x in todo]
    with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
        return list(pool.map(fn, todo))


def write_frame(
    store: TickStore, dataset: str, clean: pd.DataFrame, mode: WriteMode, workers: int = 1
) -> list[PartitionInfo]:
    """Split a validated multi-symbol, multi-day frame into (symbol, trading_day) partitions and write each.

    One thread per symbol at most, so a symbol's no-data marker file is never updated concurrently.
    """
    if clean.empty:
        return []
    table = to_arrow(clean, dataset_schema(dataset))
    order, starts = partition_runs(table)
    if order is not None:
        table = table.take(pa.array(order))
    ends = np.r_[starts[1:], table.num_rows]
    by_symbol: dict[str, list[tuple[dt.date, pa.Table]]] = {}
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        part = table.slice(a, b - a)
        by_symbol.setdefault(part["symbol"][0].as_py(), []).append((part["trading_day"][0].as_py(), part))

    supersede = getattr(store, "supersede_partition", None)

    def write_one(symbol: str, day: dt.date, part: pa.Table) -> PartitionInfo:
        info = store.write_partition(dataset, symbol, day, part, mode=mode)
        if info.status == "kept_existing" and supersede is not None:
            info = supersede(dataset, symbol, day, part)
        return info

    def write_symbol(item: tuple[str, list[tuple[dt.date, pa.Table]]]) -> list[PartitionInfo]:
        symbol, parts = item
        return [write_one(symbol, day, part) for day, part in sorted(parts, key=lambda p: p[0])]

    # QuestDB stores group the frame's partitions into few ILP requests, committed when this exits
    batch = getattr(store, "batch", None)
    with batch() if batch is not None else contextlib.nullcontext():
        return [
            info for infos in parallel_map(write_symbol, sorted(by_symbol.items()), workers) for info in infos
        ]


def ingest_frame(
    lake: TickStore,
    df: pd.DataFrame,
    *,
    calendar: TradingCalendar,
    book: ContractBook,
    source: str,
    dataset: str = "ticks",
    quarantine_dir: Path,
    mode: WriteMode = "skip_existing",
    workers: int = DEFAULT_WORKERS,
    min_kept: float = DEFAULT_MIN_KEPT,
) -> IngestSummary:
    """Sort, validate ``df`` (tick schema, any symbols/days, ``trading_day`` assigned), quarantine, write."""
    check_mode(mode)
    schema = dataset_schema(dataset)
    _check_quarantine_outside(lake, quarantine_dir)
    if df.empty:
        return IngestSummary()
    df = sort_for_gate(df)
    clean, rejected = _validate(df, schema, calendar, book)
    quarantine_rows(Path(quarantine_dir), dataset, rejected, source=source)
    infos = write_frame(lake, dataset, clean, mode, workers)
    summary = summarize(infos, len(df), rejected)
    # Rows of an unusable symbol belong to no stored partition: they cannot make a day "short".
    unusable = rejected[rejected["reason"].isin(SYMBOL_REASONS)] if len(rejected) else rejected
    return replace(summary, short_days=short_days(df, clean, min_kept, unusable))


def _sidecar_table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)


def ingest_batch(
    lake: TickStore,
    batch: DayBatch,
    requested: Sequence[str],
    *,
    calendar: TradingCalendar,
    book: ContractBook,
    source: str,
    dataset: str = "ticks",
    quarantine_dir: Path,
    mode: WriteMode = "skip_existing",
    workers: int = DEFAULT_WORKERS,
    min_kept: float = DEFAULT_MIN_KEPT,
) -> IngestSummary:
    """Ingest one fetched day: ticks, sidecars, and no-data markers for requested symbols without ticks."""
    frames = [f for f in batch.ticks.values() if len(f)]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    summary = ingest_frame(
        lake,
        df,
        calendar=calendar,
        book=book,
        source=source,
        dataset=dataset,
        quarantine_dir=quarantine_dir,
        mode=mode,
        workers=workers,
        min_kept=min_kept,
    )
    jobs = [
        (n, s, f) for n, per_symbol in sorted(batch.sidecars.items()) for s, f in sorted(per_symbol.items())
    ]

    def write_side(job: tuple[str, str, pd.DataFrame]) -> bool:
        name, symbol, frame = job
        return lake.write_sidecar(name, symbol, batch.trading_day, _sidecar_table(frame), mode=mode).changed

    sidecars = sum(parallel_map(write_side, [j for j in jobs if len(j[2])], workers))
    empty = [s for s in requested if s not in batch.ticks or len(batch.ticks[s]) == 0]
    marked = sum(len(lake.mark_no_data(dataset, s, [batch.trading_day])) for s in empty)
    return summary + IngestSummary(sidecars_written=sidecars, days_fetched=1, no_data_days=marked)


def day_complete(lake: TickStore, dataset: str, symbols: Iterable[str], day: dt.date) -> bool:
    """True when every symbol has a committed partition or a no-data marker for ``day``."""
    return all(lake.has_partition(dataset, s, day) or day in lake.no_data_days(dataset, s) for s in symbols)


def plan_symbols(
    source: DaySource, var: str, days: Iterable[dt.date], only: str | None = None
) -> dict[dt.date, list[str]]:
    """The contracts of ``var`` to request on each trading day (as the source lists them).

    With ``only``, request just that contract on the days it is listed (never a futile request that
    would be marked no-data); a contract listed on none of the days is a ``ValueError``.
    """
    days = list(days)
    plan = {d: sorted(source.list_symbols(var, d)) for d in days}
    if only is None:
        return plan
    plan = {d: [only] for d, listed in plan.items() if only in listed}
    if not plan:
        raise ValueError(f"{only} is not listed between {min(days)} and {max(days)}")
    return plan


def ingest_source_days(
    lake: TickStore,
    source: DaySource,
    symbols_by_day: dict[dt.date, list[str]],
    *,
    calendar: TradingCalendar,
    book: ContractBook,
    quarantine_dir: Path,
    dataset: str = "ticks",
    mode: WriteMode = "skip_existing",
    progress: ProgressFn | None = None,
    workers: int = DEFAULT_WORKERS,
    min_kept: float = DEFAULT_MIN_KEPT,
) -> IngestSummary:
    """Fetch and ingest each trading day in order; resumable with ``skip_existing``.

    A day is fetched whole (all requested symbols) when any of them is missing, so sources whose
    symbols share state (e.g. the sim) always see the same request for the same day.
    """
    check_mode(mode)
    total = IngestSummary()
    for day in sorted(symbols_by_day):
        requested = sorted(set(symbols_by_day[day]))
        if mode == "skip_existing" and day_complete(lake, dataset, requested, day):
            result = IngestSummary(days_skipped=1)
        else:
            batch = source.fetch_day(requested, day)
            result = ingest_batch(
                lake,
                batch,
                requested,
                calendar=calendar,
                book=book,
                source=source.name,
                dataset=dataset,
                quarantine_dir=quarantine_dir,
                mode=mode,
                workers=workers,
                min_kept=min_kept,
            )
        total = total + result
        if progress is not None:
            progress(day, result)
    return total
