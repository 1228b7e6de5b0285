"""Market time for the live path: real sessions per symbol, and the sim's virtual clock.

``VirtualClock`` maps wall time onto *session* time: ``--start-at 2025-03-03T21:00 --speed 50``
makes every wall second 50 seconds of trading, skipping breaks, nights without a session, weekends
and holidays (from the market calendar), so the live path runs offline at any hour and never idles.

Traps: the night session belongs to the next trading day and is absent after a holiday (the
calendar's ``night_evening``); cu's night ends at 01:00 while au/ag trade to 02:30, so a symbol can
be outside its session while the feed is busy (health must not call it stale). The clock's wall
anchor is persisted in the run directory, so a restarted recorder continues the same virtual
timeline (downtime is real lost market time, as in production) instead of replaying from the start.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ghtrader.market.calendar import CST_OFFSET_NS, NS_PER_S, TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.market.sessions import variety_sessions
from ghtrader.sources.sim.clock import _midnight_utc_ns, session_windows

Window = tuple[int, int]  # [start_ns, end_ns) epoch-ns UTC


def parse_start_at(text: str) -> int:
    """``2025-03-03T21:00`` (China Standard Time, the exchange's clock) -> epoch ns UTC."""
    local = dt.datetime.fromisoformat(text)
    if local.tzinfo is not None:
        return int(local.timestamp() * NS_PER_S)
    naive_utc = local.replace(tzinfo=dt.UTC)
    return int(naive_utc.timestamp()) * NS_PER_S + local.microsecond * 1000 - CST_OFFSET_NS


def variety_windows(
    calendar: TradingCalendar, varieties: Iterable[str], trading_day: dt.date
) -> list[Window]:
    """Union of the session windows of ``varieties`` on ``trading_day``, merged and sorted."""
    if not calendar.is_trading_day(trading_day):
        return []
    raw: list[Window] = []
    for var in varieties:
        sess = variety_sessions(var)
        evening = calendar.night_evening(trading_day)
        if evening is not None:
            base = _midnight_utc_ns(evening)
            raw += [(base + a * NS_PER_S, base + b * NS_PER_S) for a, b in sess.night]
        base = _midnight_utc_ns(trading_day)
        raw += [(base + a * NS_PER_S, base + b * NS_PER_S) for a, b in sess.day]
    merged: list[Window] = []
    for a, b in sorted(raw):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


class SessionTimeline:
    """The merged session windows of some varieties, trading day after trading day."""

    def __init__(self, calendar: TradingCalendar, varieties: Iterable[str]) -> None:
        self.calendar = calendar
        self.varieties = tuple(sorted(set(varieties)))
        self.windows: list[Window] = []
        self._next_day: dt.date | None = None

    def extend_from(self, ns: int) -> None:
        """Start the timeline at the trading day of ``ns`` (or the next one)."""
        day = self.calendar.trading_day_of(ns)
        if day is None:  # daytime on a non-trading day: the next trading day's night/day
            local = dt.date(1970, 1, 1) + dt.timedelta(days=(ns + CST_OFFSET_NS) // (86400 * NS_PER_S))
            day = self.calendar.next_trading_day(local)
        self._next_day = day
        self.windows = []

    def _grow(self) -> None:
        assert self._next_day is not None, "call extend_from first"
        self.windows += variety_windows(self.calendar, self.varieties, self._next_day)
        self._next_day = self.calendar.next_trading_day(self._next_day)


@dataclass(frozen=True)
class ClockState:
    """What identifies a virtual timeline; persisted so restarts continue it."""

    start_ns: int
    speed: float
    anchor_wall: float  # wall time (time.time) at which market time was ``start_ns``


class VirtualClock:
    """Wall time -> market time along the session timeline, ``speed`` market seconds per wall second."""

    def __init__(
        self,
        timeline: SessionTimeline,
        start_ns: int,
        speed: float,
        anchor_wall: float,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.timeline = timeline
        self.speed = speed
        self.anchor_wall = anchor_wall
        self.wall = wall
        self.state = ClockState(start_ns, speed, anchor_wall)
        timeline.extend_from(start_ns)
        while not timeline.windows or timeline.windows[-1][1] <= start_ns:
            timeline._grow()
        # drop windows that ended before the start; clip the first one at the start
        first = next(i for i, (_, b) in enumerate(timeline.windows) if b > start_ns)
        self._windows: list[Window] = timeline.windows[first:]
        a, b = self._windows[0]
        self._windows[0] = (max(a, start_ns), b)
        self._cum: list[int] = [0]  # session-ns elapsed at the start of each window
        for a, b in self._windows:
            self._cum.append(self._cum[-1] + (b - a))

    def _ensure(self, elapsed_ns: int) -> None:
        while self._cum[-1] <= elapsed_ns:
            n = len(self.timeline.windows)
            self.timeline._grow()
            for a, b in self.timeline.windows[n:]:
                self._windows.append((a, b))
                self._cum.append(self._cum[-1] + (b - a))

    def market_ns(self, wall: float | None = None) -> int:
        """Market time now (or at wall time ``wall``); never before the start."""
        w = self.wall() if wall is None else wall
        elapsed = max(0, int((w - self.anchor_wall) * self.speed * NS_PER_S))
        self._ensure(elapsed)
        i = bisect.bisect_right(self._cum, elapsed) - 1
        return self._windows[i][0] + (elapsed - self._cum[i])

    def window_end(self, market_ns: int) -> int:
        """End of the merged session window holding ``market_ns`` (or of the next one)."""
        while self._windows[-1][1] <= market_ns:
            self._ensure(self._cum[-1])
        ends = [b for _, b in self._windows]
        return ends[bisect.bisect_right(ends, market_ns)]

    def wall_at(self, market_ns: int) -> float:
        """Wall time at which the clock reaches ``market_ns`` (inverse of ``market_ns``)."""
        i = bisect.bisect_right([a for a, _ in self._windows], market_ns) - 1
        i = max(i, 0)
        a, b = self._windows[i]
        elapsed = self._cum[i] + min(max(market_ns - a, 0), b - a)
        return self.anchor_wall + elapsed / NS_PER_S / self.speed


def load_or_start_clock(
    path: Path,
    timeline: SessionTimeline,
    start_ns: int,
    speed: float,
    wall: Callable[[], float] = time.time,
) -> VirtualClock:
    """The persisted clock for (start, speed) if ``path`` holds one, else a new one anchored now."""
    anchor = wall()
    try:
        saved = json.loads(path.read_text())
        if int(saved["start_ns"]) == start_ns and float(saved["speed"]) == speed:
            anchor = float(saved["anchor_wall"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        pass
    clock = VirtualClock(timeline, start_ns, speed, anchor, wall)
    try:
        clock.market_ns()
    except ValueError:  # the saved timeline ran past the holiday list: start it again
        anchor = wall()
        clock = VirtualClock(timeline, start_ns, speed, anchor, wall)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"start_ns": start_ns, "speed": speed, "anchor_wall": anchor}))
    tmp.replace(path)
    return clock


class SymbolSessions:
    """Per-contract session windows (delivery month without night, expiry) from the contract book."""

    def __init__(self, calendar: TradingCalendar, book: ContractBook) -> None:
        self.calendar = calendar
        self.book = book
        self._windows = lru_cache(maxsize=4096)(self._compute)

    def _compute(self, symbol: str, trading_day: dt.date) -> tuple[tuple[int, int], ...]:
        try:
            spec = self.book.get(symbol)
        except (KeyError, ValueError):
            return ()
        return tuple((a, b) for a, b, _ in session_windows(self.calendar, spec, trading_day))

    def windows(self, symbol: str, trading_day: dt.date) -> tuple[tuple[int, int], ...]:
        return self._windows(symbol, trading_day)

    def in_session(self, symbol: str, ns: int) -> bool:
        day = self.calendar.trading_day_of(ns)
        return day is not None and any(a <= ns < b for a, b in self.windows(symbol, day))

    def session_start(self, symbol: str, ns: int) -> int | None:
        """Start of the session window of ``symbol`` holding ``ns``, if any."""
        day = self.calendar.trading_day_of(ns)
        if day is None:
            return None
        for a, b in self.windows(symbol, day):
            if a <= ns < b:
                return a
        return None
