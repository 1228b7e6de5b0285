"""``ghtrader record`` wiring: feed + recorder + daemon core + flusher thread.

The main thread runs the feed (reconnecting with back-off when it ends or fails); a flusher thread
commits every ``flush_s`` wall seconds and at each session end; SIGTERM closes the feed, and the
daemon's shutdown hook makes the final flush before exit 0.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ghtrader.live.clock import SessionTimeline, VirtualClock, load_or_start_clock, parse_start_at
from ghtrader.live.daemon import Daemon, DaemonConfig, log_event
from ghtrader.live.feed import TickFeed
from ghtrader.live.gaps import GapLog, gaps_path
from ghtrader.live.metrics import RecorderMetrics
from ghtrader.live.recorder import FlushResult, Recorder, RecorderConfig
from ghtrader.live.staging import FlushSchedule
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.store.lake import ParquetLake


class MarketClock(Protocol):
    def market_ns(self, wall: float | None = None) -> int: ...
    def window_end(self, market_ns: int) -> int: ...
    def wall_at(self, market_ns: int) -> float: ...


class RealClock:
    """The exchange's own clock: market time is wall time; session ends from the calendar."""

    def __init__(self, timeline: SessionTimeline, wall: Callable[[], float] = time.time) -> None:
        self.timeline = timeline
        self.wall = wall
        timeline.extend_from(self.market_ns())

    def market_ns(self, wall: float | None = None) -> int:
        return int((self.wall() if wall is None else wall) * 1e9)

    def window_end(self, market_ns: int) -> int:
        while not self.timeline.windows or self.timeline.windows[-1][1] <= market_ns:
            self.timeline._grow()
        return next(b for _, b in self.timeline.windows if b > market_ns)

    def wall_at(self, market_ns: int) -> float:
        return market_ns / 1e9


@dataclass(frozen=True)
class RecordOptions:
    """Everything ``ghtrader record`` needs, resolved at the entry point."""

    source: str
    varieties: tuple[str, ...]
    symbols: tuple[str, ...]
    data_dir: Path
    run_dir: Path
    flush_s: float = 2.0
    flush_groups: int = 4
    start_at: str | None = None
    speed: float = 1.0
    port: int = 9108
    stale_s: float = 60.0
    sim_seed: int = 20250303
    poll_s: float = 0.1
    log_level: str = "INFO"


def make_clock(opts: RecordOptions, calendar: TradingCalendar) -> MarketClock:
    timeline = SessionTimeline(calendar, opts.varieties)
    if opts.source != "sim":
        return RealClock(timeline)
    start = parse_start_at(opts.start_at) if opts.start_at else int(time.time() * 1e9)
    return load_or_start_clock(opts.run_dir / "recorder.clock.json", timeline, start, opts.speed)


def make_feed_factory(
    opts: RecordOptions,
    calendar: TradingCalendar,
    book: ContractBook,
    clock: MarketClock,
    daemon: Daemon,
    api_factory: Any = None,
) -> Callable[[], TickFeed]:
    """A function returning a fresh feed (called again after each disconnect)."""
    if opts.source == "sim":
        from ghtrader.live.simfeed import VirtualSimFeed
        from ghtrader.sources.sim import SimConfig, SimSource

        assert isinstance(clock, VirtualClock)
        sim = SimSource(calendar, book, SimConfig(seed=opts.sim_seed))
        return lambda: VirtualSimFeed(
            sim, opts.varieties, clock, symbols=opts.symbols or None, poll_s=opts.poll_s, sleep=daemon.sleep
        )
    if opts.source == "tqsdk":
        from ghtrader.sources.tqsdk.live import TqLiveFeed

        def symbols() -> list[str]:
            if opts.symbols:
                return list(opts.symbols)
            today = calendar.trading_day_of(clock.market_ns()) or dt.date.today()
            return sorted(s.symbol for v in opts.varieties for s in book.listed(v, today))

        return lambda: TqLiveFeed(api_factory, symbols(), calendar, max_idle_s=max(30.0, opts.stale_s))
    raise ValueError(f"unknown live source {opts.source!r}; expected sim or tqsdk")


def _log_flush(daemon: Daemon, res: FlushResult, trigger: str) -> None:
    log_event(
        daemon.log,
        "flush",
        rows=res.rows,
        parts=res.partitions,
        ms=round(res.seconds * 1e3, 1),
        taken_at=round(res.taken_at, 3),  # what these symbols received before this is durable
        feed_lag_s=round(res.feed_lag_s, 3),
        trigger=trigger,
        group=res.group,
        symbols=list(res.symbols),
    )


def _flusher(daemon: Daemon, recorder: Recorder, clock: MarketClock, flush_s: float) -> None:
    """Timer flushes (one symbol group per ``flush_s / groups``, see ``staging``); all at session ends."""
    schedule = FlushSchedule(flush_s, recorder.config.flush_groups)
    session_end = clock.window_end(clock.market_ns())
    while not daemon.sleep(min(0.05, schedule.slot)):
        try:
            now_ns = clock.market_ns()
            if now_ns >= session_end:
                res = recorder.flush("session_end")
                session_end = clock.window_end(now_ns)
                _log_flush(daemon, res, "session_end")
                schedule.restart(time.monotonic())
            elif (group := schedule.due(time.monotonic())) is not None:
                res = recorder.flush("timer", group=group)
                if res.rows:
                    _log_flush(daemon, res, "timer")
        except Exception as exc:  # keep buffering; the next flush retries (nothing was dropped)
            recorder.metrics.errors.inc()
            log_event(daemon.log, "flush_failed", 40, error=f"{type(exc).__name__}: {exc}")


def run_record(
    opts: RecordOptions,
    *,
    calendar: TradingCalendar,
    book: ContractBook,
    lock: Callable[[str], Any],
    api_factory: Any = None,
    quarantine_dir: Path | None = None,
    questdb: Any = None,
) -> int:
    """Run the recorder daemon in the foreground; the process exit code."""
    daemon = Daemon(DaemonConfig("recorder", opts.run_dir, http_port=opts.port, log_level=opts.log_level))
    clock = make_clock(opts, calendar)
    metrics = RecorderMetrics(daemon.registry)
    lake = ParquetLake(opts.data_dir / "lake_v2")
    recorder = Recorder(
        lake,
        RecorderConfig(
            quarantine_dir=quarantine_dir or opts.data_dir / "quarantine",
            flush_s=opts.flush_s,
            flush_groups=opts.flush_groups,
            stale_s=opts.stale_s,
            source=opts.source,
        ),
        calendar=calendar,
        book=book,
        gaps=GapLog(gaps_path(opts.data_dir)),
        metrics=metrics,
        market_now=clock.market_ns,
        lock=lock,
        wall_at=clock.wall_at,
        questdb=questdb,
    )
    metrics.watch_last_tick(daemon.registry, lambda: dict(recorder.last_tick_wall))
    daemon.add_health_check("feed", recorder.health_check)
    daemon.set_status(
        lambda: {
            "market_ns": clock.market_ns(),
            "buffered": recorder.buffered,
            "symbols": len(recorder.subscribed),
            "source": opts.source,
        }
    )
    new_feed = make_feed_factory(opts, calendar, book, clock, daemon, api_factory)
    current: list[TickFeed] = []

    def close_feeds() -> None:
        for f in current:
            f.close()

    daemon.on_stop_request(close_feeds)
    daemon.on_shutdown(lambda: _final_flush(daemon, recorder))

    def main(d: Daemon) -> None:
        flusher = threading.Thread(
            target=_flusher, args=(d, recorder, clock, opts.flush_s), name="flusher", daemon=True
        )
        flusher.start()
        compactor = threading.Thread(target=_compactor, args=(d, recorder), name="compactor", daemon=True)
        compactor.start()
        backoff = 1.0
        first = True
        while not d.stopping.is_set():
            feed = new_feed()
            current[:] = [feed]
            if not first:
                recorder.mark_reconnect()
                log_event(d.log, "feed_reconnect")
            first = False
            feed.open()  # e.g. the sim feed generates its day before any tick is released
            log_event(d.log, "feed_open", market_ns=clock.market_ns())  # ticks from here on arrive
            try:
                for batch in feed:
                    recorder.subscribed = tuple(feed.symbols)
                    recorder.accept(batch)
                    backoff = 1.0
            except Exception as exc:  # a broken connection: reconnect with back-off
                log_event(d.log, "feed_error", 40, error=f"{type(exc).__name__}: {exc}")
            if d.sleep(backoff):
                break
            backoff = min(backoff * 2, 30.0)
        flusher.join(timeout=10)

    return daemon.run(main)


def _compactor(daemon: Daemon, recorder: Recorder, every_s: float = 5.0) -> None:
    while not daemon.sleep(every_s):
        try:
            n = recorder.compact()
            if n:
                log_event(daemon.log, "compacted", partitions=n)
        except Exception as exc:  # compaction is an optimisation: never stop recording for it
            log_event(daemon.log, "compact_failed", 30, error=f"{type(exc).__name__}: {exc}")
        try:
            n = recorder.sync_questdb()
            if n:
                log_event(daemon.log, "questdb_synced", partitions=n)
        except Exception as exc:  # QuestDB down: the lake keeps the ticks; retried next round
            log_event(daemon.log, "questdb_sync_failed", 30, error=f"{type(exc).__name__}: {exc}")


def _final_flush(daemon: Daemon, recorder: Recorder) -> None:
    res = recorder.flush("shutdown")
    last_received = max(recorder.last_ns.values(), default=None)  # every row up to it is now stored
    gaps = recorder.record_stop_gaps()
    try:
        recorder.sync_questdb()
    except Exception as exc:
        log_event(daemon.log, "questdb_sync_failed", 30, error=f"{type(exc).__name__}: {exc}")
    log_event(
        daemon.log,
        "final_flush",
        rows=res.rows,
        parts=res.partitions,
        ms=round(res.seconds * 1e3, 1),
        gaps=len(gaps),
        last_received_ns=last_received,
    )


def parse_list(text: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (text or "").split(",") if x.strip())


def varieties_of(items: Iterable[str]) -> tuple[str, ...]:
    from ghtrader.market.sessions import VARIETIES

    out = tuple(dict.fromkeys(items))
    bad = [v for v in out if v not in VARIETIES]
    if bad:
        raise ValueError(f"unsupported variety {', '.join(bad)}; expected some of {', '.join(VARIETIES)}")
    return out
