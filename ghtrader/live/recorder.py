"""The live tick recorder: de-duplicate, gate, buffer and append-commit live ticks into the lake.

Flow: ``accept`` (feed thread) classifies each row against the per-symbol watermark - newer rows
are kept, rows at or below the last kept time are duplicates, rows *between* the stored watermark
and the last kept time are time going backwards and are quarantined - then the quality gate of
batch ingest runs on the kept rows (with each symbol's last accepted row prepended, so the
sequential rules see across batches) and ``flush`` appends the clean rows to their (symbol,
trading day) partitions under the partition lock. Restarts seed the watermark from the manifests,
so a restart never writes a duplicate; the first tick of each symbol after a (re)start records a
gap back to the last stored row (or to its session open), which the nightly ingest backfills.

Traps: the gate's sequential rules compare with the last *accepted* row, which after a restart
lives in the lake, not in memory (the context row is read back once per symbol); validation runs
on accumulated rows (every ``validate_every_s``), not per feed batch, because its fixed cost per
call dominates at high tick rates.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ghtrader.live.clock import SymbolSessions
from ghtrader.live.commit import append_partition, compact_partition, compaction_due, last_stored_row
from ghtrader.live.gaps import Gap, GapLog, first_tick_gaps, stop_gaps
from ghtrader.live.gate import BACKWARDS, DUPLICATE, KEEP, classify_rows, gate_rows
from ghtrader.live.metrics import RecorderMetrics
from ghtrader.live.mirror import QuestDbMirror
from ghtrader.live.recorder_config import FlushResult, RecorderConfig
from ghtrader.live.recorder_health import RecorderHealth
from ghtrader.live.staging import Chunks, PartKey, Staging
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import TICK_COLUMNS, to_pandas
from ghtrader.store.base import dataset_schema
from ghtrader.store.lake import ParquetLake
from ghtrader.store.quarantine import quarantine_rows

__all__ = ["FlushResult", "Recorder", "RecorderConfig"]
LockFn = Callable[[str], AbstractContextManager[object]]


class Recorder(RecorderHealth):
    """Buffers live ticks and commits them; thread-safe between one feed thread and flushers."""

    def __init__(
        self,
        lake: ParquetLake,
        config: RecorderConfig,
        *,
        calendar: TradingCalendar,
        book: ContractBook,
        gaps: GapLog,
        metrics: RecorderMetrics,
        market_now: Callable[[], int],
        lock: LockFn = lambda _symbol: nullcontext(),
        wall: Callable[[], float] = time.time,
        wall_at: Callable[[int], float] = lambda ns: ns / 1e9,
        questdb: Any = None,
    ) -> None:
        self.lake = lake
        self.config = config
        self.calendar = calendar
        self.book = book
        self.sessions = SymbolSessions(calendar, book)
        self.gaps = gaps
        self.metrics = metrics
        self.market_now = market_now
        self.lock = lock
        self.wall = wall
        self.wall_at = wall_at
        self.mirror = QuestDbMirror(questdb, lake, config.dataset) if questdb is not None else None
        self.started_wall = wall()
        self.last_ns: dict[str, int] = {}
        self.watermark: dict[str, int] = {}
        self.last_tick_wall: dict[str, float] = {}
        self.subscribed: tuple[str, ...] = ()
        self._gap_pending: dict[str, tuple[str, int | None]] = {}  # symbol -> (reason, gap start)
        self._context = pd.DataFrame(columns=TICK_COLUMNS)  # last accepted row per symbol
        self._pending: list[tuple[pd.DataFrame, np.ndarray]] = []
        self._staging = Staging(dataset_schema(config.dataset), config.flush_groups)
        self._rejected: list[pd.DataFrame] = []
        self._touched: dict[tuple[str, dt.date], int] = {}  # partition -> files after the last append
        self._pool = ThreadPoolExecutor(max_workers=config.commit_workers, thread_name_prefix="commit")
        self._last_validate = 0.0
        self._buf = threading.Lock()
        self._flush_lock = threading.Lock()
        self.buffered = 0

    # ------------------------------------------------------------------ intake
    def _seed(self, symbol: str) -> None:
        """Watermark from the lake; the stored last row becomes the gate's context row."""
        row = last_stored_row(self.lake, self.config.dataset, symbol)
        last = int(row["datetime_ns"][0].as_py()) if row is not None else None
        if row is not None and last is not None:
            self.watermark[symbol] = last
            self.last_ns[symbol] = last
            self._set_context(to_pandas(row)[TICK_COLUMNS])
        else:
            self.watermark[symbol] = np.iinfo(np.int64).min
        self._gap_pending[symbol] = ("restart", last) if last is not None else ("start", None)

    def mark_reconnect(self) -> None:
        """The feed reconnected: each symbol's next tick records a gap back to its last tick."""
        self.metrics.reconnects.inc()
        with self._buf:
            for sym, last in self.last_ns.items():
                self._gap_pending[sym] = ("reconnect", last)

    def accept(self, batch: pd.DataFrame, recv_wall: float | None = None) -> None:
        """Take one feed batch (tick-schema rows, any symbols)."""
        if batch.empty:
            return
        recv = self.wall() if recv_wall is None else recv_wall
        with self._buf:
            sym_codes, names = pd.factorize(batch["symbol"], sort=False)
            names = [str(x) for x in names]
            for s in names:
                if s not in self.watermark:
                    self._seed(s)
            ns = batch["datetime_ns"].to_numpy(dtype=np.int64)
            cls = classify_rows(sym_codes, names, ns, self.last_ns, self.watermark)
            counts = np.bincount(sym_codes, minlength=len(names))
            kept_counts = np.bincount(sym_codes[cls == KEEP], minlength=len(names))
            dup_counts = np.bincount(sym_codes[cls == DUPLICATE], minlength=len(names))
            for s, n, k, d in zip(
                names, counts.tolist(), kept_counts.tolist(), dup_counts.tolist(), strict=True
            ):
                self.metrics.received.labels(s).inc(n)
                if k:
                    self.last_tick_wall[s] = recv
                if d:
                    self.metrics.duplicates.labels(s).inc(d)
            if kept_counts.sum() == len(batch):
                kept = batch.reset_index(drop=True)
            else:
                back = batch.loc[cls == BACKWARDS]
                if len(back):
                    self._rejected.append(back.assign(reason="non_monotonic_time: behind the live watermark"))
                    for s, n in back["symbol"].value_counts().items():
                        self.metrics.quarantined.labels(s, "non_monotonic_time").inc(n)
                kept = batch.loc[cls == KEEP].reset_index(drop=True)
            if len(kept):
                self._record_gaps(kept)
                self._pending.append((kept, np.full(len(kept), recv)))
                self.buffered += len(kept)
                self.metrics.buffered.set(self.buffered)
        if self.wall() - self._last_validate >= self.config.validate_every_s:
            self.process()

    def _record_gaps(self, kept: pd.DataFrame) -> None:
        if not self._gap_pending:
            return
        firsts = kept.drop_duplicates("symbol")
        pending = {}
        for sym in firsts["symbol"]:
            if sym in self._gap_pending:
                pending[sym] = self._gap_pending.pop(sym)
        found = first_tick_gaps(
            self.calendar, self.sessions, pending, zip(firsts["symbol"], firsts["datetime_ns"], strict=True)
        )
        for g in self.gaps.record(found):
            self.metrics.gaps.labels(g.reason).inc()

    def process(self) -> None:
        """Run the quality gate on the pending rows (context rows prepended, then dropped)."""
        with self._buf:
            pending, self._pending = self._pending, []
            self._last_validate = self.wall()
            if not pending:
                return
            frame = pd.concat([f for f, _ in pending], ignore_index=True)
            recv = np.concatenate([r for _, r in pending])
            clean, clean_recv, bad = gate_rows(frame, recv, self._context, self.calendar, self.book)
            if len(bad):
                self._rejected.append(bad)
                for (s, r), n in bad.groupby(["symbol", "reason"]).size().items():
                    self.metrics.quarantined.labels(s, str(r).split(":")[0]).inc(n)
                self.buffered -= len(bad)
            if len(clean):
                self._staging.add(clean, clean_recv)
                self._set_context(clean.drop_duplicates("symbol", keep="last"))

    def _set_context(self, rows: pd.DataFrame) -> None:
        """Make ``rows`` (one per symbol) the last accepted rows of their symbols."""
        keep = self._context[~self._context["symbol"].isin(rows["symbol"])]
        self._context = (
            pd.concat([keep, rows], ignore_index=True) if len(keep) else rows.reset_index(drop=True)
        )

    # ------------------------------------------------------------------ commit
    def flush(self, reason: str = "timer", group: int | None = None) -> FlushResult:
        """Commit what was accepted so far (of one flush ``group``, or all); quarantine rejects.

        Serialized across threads.
        """
        with self._flush_lock:
            t0 = time.perf_counter()
            self.process()
            with self._buf:
                staged = self._staging.take(group)
                rejected, self._rejected = self._rejected, []
                taken_at = self.wall()
                newest = max(self.last_ns.values(), default=None)
            lag = taken_at - self.wall_at(newest) if newest is not None else 0.0
            result = FlushResult(taken_at=taken_at, feed_lag_s=lag, group=group)
            if rejected:
                bad = pd.concat(rejected, ignore_index=True)
                quarantine_rows(
                    self.config.quarantine_dir, self.config.dataset, bad, source=self.config.source
                )
                result.quarantined = len(bad)
            if staged:
                committed, error = self._commit(staged)
                done = self.wall()
                recv = np.concatenate([r for k in committed for _, r in staged[k]] or [np.empty(0)])
                result.partitions, result.rows, result.latencies = len(committed), len(recv), done - recv
                result.symbols = tuple(sorted({k[0] for k in committed}))
                for r in np.unique(recv):
                    self.metrics.durable_latency.observe(done - float(r))
                with self._buf:
                    self.buffered -= len(recv)
                    self.metrics.buffered.set(self.buffered)
                    self._staging.put_back(staged, staged.keys() - committed)  # ahead of newer rows
                if error is not None:
                    raise error
            result.seconds = time.perf_counter() - t0
            self.metrics.flush_seconds.observe(result.seconds)
            self.metrics.flushes.labels(reason).inc()
            return result

    def _commit(self, staged: dict[PartKey, Chunks]) -> tuple[set[PartKey], Exception | None]:
        """Append each staged partition (symbols in parallel); the committed keys and the first error.

        A partition that failed (and the symbol's later ones) stays uncommitted, so the caller can
        stage it again: nothing is dropped and nothing is appended twice.
        """
        parts: dict[str, list[tuple[dt.date, pa.Table]]] = {}
        for (symbol, d), chunks in sorted(staged.items()):
            parts.setdefault(symbol, []).append((d, pa.concat_tables([t for t, _ in chunks])))
        committed: set[PartKey] = set()

        def commit_symbol(symbol: str, items: list[tuple[dt.date, pa.Table]]) -> None:
            with self.lock(symbol):
                for d, part in items:
                    m = append_partition(self.lake, self.config.dataset, symbol, d, part)
                    committed.add((symbol, d))
                    self._touched[(symbol, d)] = len(m.files)
                    if self.mirror is not None:
                        self.mirror.mark(symbol, d)
                    self.metrics.written.labels(symbol).inc(part.num_rows)

        jobs = [self._pool.submit(commit_symbol, symbol, items) for symbol, items in parts.items()]
        first = next((e for e in (j.exception() for j in jobs) if e is not None), None)
        if first is not None and not isinstance(first, Exception):
            raise first  # KeyboardInterrupt and the like are not a failed commit
        return committed, first

    def compact(self) -> int:
        """Fold into one file each partition whose trading day is over or that has many files.

        Runs off the flush path (the compactor thread): a rewrite costs the whole partition, and
        holding up a flush for it would break the tick-to-durable latency bound.
        """
        today = self.calendar.trading_day_of(self.market_now())
        todo = compaction_due(
            dict(self._touched), today, self.config.max_files, self.config.compact_per_round
        )
        for symbol, d in todo:
            with self.lock(symbol):
                compact_partition(self.lake, self.config.dataset, symbol, d)
                if today is not None and d < today:
                    self._touched.pop((symbol, d), None)
                else:
                    self._touched[(symbol, d)] = 1
        return len(todo)

    def sync_questdb(self) -> int:
        """Mirror the partitions changed since the last sync into QuestDB (see ``live.mirror``)."""
        return self.mirror.sync() if self.mirror is not None else 0

    def record_stop_gaps(self) -> list[Gap]:
        """On a clean stop: the rest of each symbol's trading day will not be recorded (after the final
        flush, so a restart the same day records its own, overlapping gap; backfill resolves both)."""
        with self._buf:
            gaps = stop_gaps(self.calendar, self.sessions, self.last_ns)
        for g in self.gaps.record(gaps):
            self.metrics.gaps.labels(g.reason).inc()
        return gaps
