"""``VirtualSimFeed``: the sim market as a live feed on a virtual clock (offline, at any hour).

Each poll releases the sim ticks whose market time passed since the previous poll. Ticks older than
the clock at start-up are never delivered: they happened while the recorder was down, exactly as
with a real feed (the gap log and the nightly batch ingest recover them).

Trap: generating a sim day takes seconds. ``open`` generates the current day *before* the release
window starts (ticks whose time passes meanwhile are downtime, like the restart itself), and the next
trading day is generated in the background while the current one plays, so the feed never stalls for
seconds mid-run; a stalled feed lags the clock, and a flush taken during a stall would leave the
lagging ticks unflushed for longer than the flush interval.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd

from ghtrader.live.clock import VirtualClock
from ghtrader.live.feed import MonotonicDedup
from ghtrader.schema import TICK_COLUMNS
from ghtrader.sources.base import DaySource

AHEAD_S = 60.0  # wall seconds before a day's last tick at which the next day starts generating


class VirtualSimFeed:
    """Live ticks of every listed contract of ``varieties`` (or just ``symbols``) on a virtual clock."""

    def __init__(
        self,
        source: DaySource,
        varieties: Sequence[str],
        clock: VirtualClock,
        *,
        symbols: Sequence[str] | None = None,
        poll_s: float = 0.1,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.source = source
        self.varieties = tuple(varieties)
        self.only = tuple(symbols) if symbols else None
        self.clock = clock
        self.poll_s = poll_s
        self.sleep = sleep
        self.dedup = MonotonicDedup()
        self.symbols: tuple[str, ...] = ()
        self._closed = False
        self._day: dt.date | None = None
        self._frame = pd.DataFrame(columns=TICK_COLUMNS)
        self._ns = np.empty(0, dtype=np.int64)
        self._ahead = ThreadPoolExecutor(1, thread_name_prefix="sim-next-day")
        self._next: tuple[dt.date, Future[tuple[list[str], pd.DataFrame]]] | None = None

    def close(self) -> None:
        self._closed = True
        self._ahead.shutdown(wait=False, cancel_futures=True)

    def open(self) -> None:
        """Generate the current trading day now (before any tick is released)."""
        day = self.clock.timeline.calendar.trading_day_of(self.clock.market_ns())
        if day is not None and day != self._day:
            self._load(day)

    def day_symbols(self, day: dt.date) -> list[str]:
        if self.only is not None:
            return list(self.only)
        return sorted(s for v in self.varieties for s in self.source.list_symbols(v, day))

    def _generate(self, day: dt.date) -> tuple[list[str], pd.DataFrame]:
        syms = self.day_symbols(day)
        batch = self.source.fetch_day(syms, day)
        frames = [f for f in batch.ticks.values() if len(f)]
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TICK_COLUMNS)
        return syms, df.sort_values("datetime_ns", kind="stable").reset_index(drop=True)

    def _load(self, day: dt.date) -> None:
        ahead = self._next
        syms, self._frame = ahead[1].result() if ahead and ahead[0] == day else self._generate(day)
        self._ns = self._frame["datetime_ns"].to_numpy(dtype=np.int64)
        self._day = day
        self.symbols = tuple(syms)
        self._next = None

    def _generate_ahead(self, now: int) -> None:
        """Start generating the next day once this one's last tick is ``AHEAD_S`` wall seconds away
        (not earlier: right after a restart the CPU belongs to catching up and seeding)."""
        if self._next is not None or self._day is None or self._closed or not len(self._ns):
            return
        if self.clock.wall_at(int(self._ns[-1])) - self.clock.wall_at(now) <= AHEAD_S:
            nxt = self.clock.timeline.calendar.next_trading_day(self._day)
            self._next = (nxt, self._ahead.submit(self._generate, nxt))

    def _release(self, lo_ns: int, hi_ns: int) -> pd.DataFrame:
        a = int(np.searchsorted(self._ns, lo_ns, side="right"))
        b = int(np.searchsorted(self._ns, hi_ns, side="right"))
        return self._frame.iloc[a:b].reset_index(drop=True)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        released = self.clock.market_ns()
        calendar = self.clock.timeline.calendar
        while not self._closed:
            now = self.clock.market_ns()
            day = calendar.trading_day_of(now)
            if day is not None and day != self._day:
                if self._day is not None:  # the rest of the previous day first
                    tail = self.dedup(self._release(released, now))
                    if len(tail):
                        yield tail
                self._load(day)
            self._generate_ahead(now)
            batch = self.dedup(self._release(released, now))
            released = now
            if len(batch):
                yield batch
            self.sleep(self.poll_s)
