"""Live tick feeds: one interface for the live recorder, implemented by the sim and by TqSdk.

A feed yields batches of new ticks (tick-schema frames, any of its symbols) as they arrive, or
calls a callback per batch. Trap: live sources repeat snapshots (TqSdk re-sends the last tick of
a serial on every update, reconnects replay history), so every feed passes its output through
``MonotonicDedup``, which keeps only rows strictly newer than the last row kept for their symbol.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ghtrader.schema import TICK_COLUMNS
from ghtrader.sources.base import DaySource

TickCallback = Callable[[pd.DataFrame], None]


@runtime_checkable
class TickFeed(Protocol):
    """Iterator/callback interface over a live tick subscription.

    ``open()`` is called before iterating: it does the slow set-up (the sim feed generates its day),
    so that the ticks released from then on arrive without a stall; a no-op for most feeds.
    """

    symbols: tuple[str, ...]

    def open(self) -> None: ...

    def __iter__(self) -> Iterator[pd.DataFrame]:
        """Yield non-empty, de-duplicated tick-schema batches until the feed ends or is closed."""
        ...

    def close(self) -> None: ...


def run_feed(feed: TickFeed, callback: TickCallback, max_batches: int | None = None) -> int:
    """Call ``callback`` with every batch of ``feed``; return the number of batches delivered."""
    n = 0
    for batch in feed:
        callback(batch)
        n += 1
        if max_batches is not None and n >= max_batches:
            break
    return n


class MonotonicDedup:
    """Drop rows whose ``datetime_ns`` is not strictly above the last kept one of their symbol."""

    def __init__(self) -> None:
        self.last_ns: dict[str, int] = {}

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        keep = np.zeros(len(frame), dtype=bool)
        symbols = frame["symbol"].to_numpy()
        ns = frame["datetime_ns"].to_numpy(dtype=np.int64)
        for sym in pd.unique(symbols):
            idx = np.flatnonzero(symbols == sym)
            t = ns[idx]
            prev = self.last_ns.get(sym, np.iinfo(np.int64).min)
            # running max of what came before each row (the last kept row is the max so far)
            before = np.maximum.accumulate(np.concatenate([[prev], t[:-1]]))
            ok = t > before
            keep[idx[ok]] = True
            if ok.any():
                self.last_ns[sym] = int(max(prev, t[ok].max()))
        return frame.loc[keep].reset_index(drop=True)


class SimLiveFeed:
    """Replay a DaySource's trading day (e.g. ``SimSource``) in wall-clock time.

    ``speed`` scales time (``inf`` = no waiting); ``start_ns`` skips everything earlier. Ticks that
    share a ``batch_ms`` window of market time are delivered together.
    """

    def __init__(
        self,
        source: DaySource,
        symbols: Sequence[str],
        trading_day: dt.date,
        *,
        speed: float = 1.0,
        batch_ms: int = 500,
        start_ns: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.source = source
        self.symbols = tuple(symbols)
        self.trading_day = trading_day
        self.speed = speed
        self.batch_ns = batch_ms * 1_000_000
        self.start_ns = start_ns
        self.clock = clock
        self.sleep = sleep
        self.dedup = MonotonicDedup()
        self._closed = False

    def open(self) -> None:
        """Nothing to prepare: the day is fetched on the first iteration."""

    def close(self) -> None:
        self._closed = True

    def _day_ticks(self) -> pd.DataFrame:
        batch = self.source.fetch_day(self.symbols, self.trading_day)
        frames = [f for f in batch.ticks.values() if len(f)]
        if not frames:
            return pd.DataFrame(columns=TICK_COLUMNS)
        df = pd.concat(frames, ignore_index=True)
        if self.start_ns is not None:
            df = df[df["datetime_ns"] >= self.start_ns]
        return df.sort_values("datetime_ns", kind="stable").reset_index(drop=True)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        df = self.dedup(self._day_ticks())  # once for the whole replay: cheaper than per batch
        if df.empty:
            return
        ns = df["datetime_ns"].to_numpy(dtype=np.int64)
        first = int(ns[0])
        bucket = (ns - first) // self.batch_ns
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        ends = np.r_[starts[1:], len(df)]
        t0 = self.clock()
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            if self._closed:
                return
            due = t0 + (int(ns[b - 1]) - first) / 1e9 / self.speed
            wait = due - self.clock()
            if wait > 0 and np.isfinite(wait):
                self.sleep(wait)
            yield df.iloc[a:b].reset_index(drop=True)
