"""``TqLiveFeed``: live ticks from TqSdk tick serials behind ``ghtrader.live.feed.TickFeed``.

``api.get_tick_serial(symbol)`` returns a frame TqSdk updates in place on each ``wait_update()``;
``api.is_changing(serial)`` says whether it moved. Traps: the serial is a sliding window that
still holds every tick already delivered (and unfilled rows with ``datetime`` 0 at start-up), so
each update is reduced to rows newer than the last delivered tick of the symbol by
``MonotonicDedup``; ``wait_update`` without a deadline can block forever, so it is always called
with one and ``max_idle_s`` turns a silent connection into the end of the feed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd

from ghtrader.live.feed import MonotonicDedup
from ghtrader.market.calendar import TradingCalendar
from ghtrader.sources.tqsdk.api import ApiFactory
from ghtrader.sources.tqsdk.frames import tick_times_ns, tq_frame_to_ticks


class TqLiveFeed:
    """De-duplicated live ticks of ``symbols``; iterate, or pass to ``ghtrader.live.feed.run_feed``."""

    def __init__(
        self,
        api_factory: ApiFactory,
        symbols: Sequence[str],
        calendar: TradingCalendar,
        *,
        data_length: int = 200,
        wait_s: float = 5.0,
        max_idle_s: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_factory = api_factory
        self.symbols = tuple(dict.fromkeys(symbols))
        self.calendar = calendar
        self.data_length = data_length
        self.wait_s = wait_s
        self.max_idle_s = max_idle_s
        self.clock = clock
        self.dedup = MonotonicDedup()
        self._closed = False

    def open(self) -> None:
        """Nothing to prepare: the subscription starts on the first iteration."""

    def close(self) -> None:
        self._closed = True

    def _new_rows(self, symbol: str, serial: pd.DataFrame) -> pd.DataFrame:
        last = self.dedup.last_ns.get(symbol)
        if last is not None and len(serial):
            serial = serial[tick_times_ns(serial) > last]
        return tq_frame_to_ticks(serial, symbol, self.calendar)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        api: Any = self.api_factory()
        try:
            serials = {s: api.get_tick_serial(s, data_length=self.data_length) for s in self.symbols}
            idle_since = self.clock()
            first = True
            while not self._closed:
                updated = api.wait_update(deadline=self.clock() + self.wait_s)
                if not updated:
                    if self.max_idle_s is not None and self.clock() - idle_since >= self.max_idle_s:
                        return
                    continue
                idle_since = self.clock()
                frames = [
                    self._new_rows(s, serial)
                    for s, serial in serials.items()
                    if first or api.is_changing(serial)
                ]
                first = False
                frames = [f for f in frames if len(f)]
                if not frames:
                    continue
                batch = self.dedup(pd.concat(frames, ignore_index=True))
                if len(batch):
                    yield batch
        finally:
            api.close()
