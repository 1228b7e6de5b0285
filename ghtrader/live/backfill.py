"""Backfill the live recorder's gaps from a historical (batch) source: the partial-day reconciliation.

A day the recorder wrote partially has a committed partition, so a resumable batch ingest would
skip it as complete. For every (symbol, trading day) with an open gap, this re-fetches the day,
takes the union of the fetched and the stored rows (fetched rows win on equal ``datetime_ns``; a
stored row the source lacks is kept, never silently dropped), runs it through the normal ingest
gate and replaces the partition whole; then the gaps are marked resolved. When the source has the
whole day, the partition ends up exactly what a pure batch download writes.

Trap: the current trading day is still being recorded; it is only backfilled once it is over
(``before``), otherwise the replace would race the recorder's appends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ghtrader.live.gaps import GapLog, gap_days
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import TICK_COLUMNS, to_pandas
from ghtrader.sources.base import DayBatch, DaySource
from ghtrader.store.base import TickStore
from ghtrader.store.ingest import IngestSummary, ingest_batch


def backfill_gaps(
    store: TickStore,
    source: DaySource,
    gaps: GapLog,
    *,
    calendar: TradingCalendar,
    book: ContractBook,
    quarantine_dir: Path,
    symbols: Iterable[str] | None = None,
    days: Iterable[dt.date] | None = None,
    before: dt.date | None = None,
) -> IngestSummary:
    """Fill the open gaps (optionally only of ``symbols`` / ``days``, only days before ``before``)."""
    only_syms = set(symbols) if symbols is not None else None
    only_days = set(days) if days is not None else None
    todo = [
        g
        for g in gaps.open_gaps()
        if (only_syms is None or g.symbol in only_syms)
        and (only_days is None or g.trading_day in only_days)
        and (before is None or g.trading_day < before)
    ]
    total = IngestSummary()
    for day, syms in gap_days(todo).items():
        fetched = source.fetch_day(syms, day)
        ticks: dict[str, pd.DataFrame] = {}
        for s in syms:
            new = fetched.ticks.get(s)
            old = to_pandas(store.read_day("ticks", s, day))[TICK_COLUMNS]
            frames = [f for f in (new, old) if f is not None and len(f)]
            if not frames:
                continue
            both = pd.concat(frames, ignore_index=True).drop_duplicates("datetime_ns", keep="first")
            ticks[s] = both.sort_values("datetime_ns", kind="stable").reset_index(drop=True)
        batch = DayBatch(day, ticks, fetched.sidecars, tuple(syms))
        total = total + ingest_batch(
            store,
            batch,
            syms,
            calendar=calendar,
            book=book,
            source=source.name,
            quarantine_dir=quarantine_dir,
            mode="replace",
        )
        gaps.resolve([g.id for g in todo if g.trading_day == day], by=source.name)
    return total


def backfill_plan(
    store: TickStore,
    source: DaySource,
    plan: dict[dt.date, list[str]],
    *,
    data_dir: Path,
    calendar: TradingCalendar,
    book: ContractBook,
    quarantine_dir: Path,
) -> IngestSummary:
    """Backfill the open gaps that fall inside an ingest plan (day -> contracts); no-op without gaps.

    Called by every batch ingest (``ghtrader download``, the DAG's ingest task) before the
    resumable ingest, which would otherwise skip the recorder's partial days as complete.
    """
    from ghtrader.live.gaps import gaps_path

    log = GapLog(gaps_path(data_dir))
    if not log.path.exists():
        return IngestSummary()
    syms = {s for listed in plan.values() for s in listed}
    return backfill_gaps(
        store,
        source,
        log,
        calendar=calendar,
        book=book,
        quarantine_dir=quarantine_dir,
        symbols=syms,
        days=plan,
    )
