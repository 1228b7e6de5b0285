"""When orders may leave: the continuous trading sessions of one contract, as UTC-ns intervals.

Trap: a night session belongs to the *next* trading day and runs past midnight (cu until 01:00,
au/ag until 02:30), there is no night session before a holiday, and SHFE keeps night trading in the
delivery month. ``SessionClock`` builds the intervals of a trading day from the calendar (which
knows all of that) and caches them, so the per-tick check is a comparison, not a calendar lookup.
The call auction (20:55-21:00, 08:55-09:00) is *not* inside: orders only go out in continuous trading.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ghtrader.market.calendar import CST_OFFSET_NS, EPOCH, NS_PER_S, TradingCalendar
from ghtrader.market.sessions import Sessions

Interval = tuple[int, int]


def midnight_ns(day: dt.date) -> int:
    """UTC epoch-ns of 00:00 CST on calendar ``day``."""
    return (day - EPOCH).days * 86400 * NS_PER_S - CST_OFFSET_NS


def session_intervals(cal: TradingCalendar, sessions: Sessions, trading_day: dt.date) -> tuple[Interval, ...]:
    """``[start, end)`` ns intervals of continuous trading that belong to ``trading_day``, in order."""
    out: list[Interval] = []
    evening = cal.night_evening(trading_day)
    if evening is not None:
        base = midnight_ns(evening)
        out += [(base + a * NS_PER_S, base + b * NS_PER_S) for a, b in sessions.night]
    base = midnight_ns(trading_day)
    out += [(base + a * NS_PER_S, base + b * NS_PER_S) for a, b in sessions.day]
    return tuple(out)


class SessionClock:
    """``in_session(t)`` / ``seconds_to_close(t)`` for one contract's sessions, cached per trading day."""

    def __init__(self, cal: TradingCalendar, sessions: Sessions) -> None:
        self.cal = cal
        self.sessions = sessions
        self._span: Interval = (1, 0)  # empty: first call computes
        self._intervals: tuple[Interval, ...] = ()

    def _ensure(self, t: int) -> None:
        """Reload when ``t`` leaves the cached half-day bucket (06:00-18:00 or 18:00-06:00 CST): the
        trading day of a timestamp is constant inside one bucket."""
        if self._span[0] <= t < self._span[1]:
            return
        day_ns = 86400 * NS_PER_S
        local = t + CST_OFFSET_NS
        sec = local % day_ns
        six, eighteen = 6 * 3600 * NS_PER_S, 18 * 3600 * NS_PER_S
        midnight = local - sec - CST_OFFSET_NS
        if six <= sec < eighteen:
            self._span = (midnight + six, midnight + eighteen)
        elif sec >= eighteen:
            self._span = (midnight + eighteen, midnight + day_ns + six)
        else:
            self._span = (midnight - day_ns + eighteen, midnight + six)
        idx = int(self.cal.trading_day_index(np.array([t], dtype=np.int64))[0])
        day = None if idx < 0 else EPOCH + dt.timedelta(days=idx)
        self._intervals = () if day is None else session_intervals(self.cal, self.sessions, day)

    def in_session(self, t: int) -> bool:
        self._ensure(t)
        return any(a <= t < b for a, b in self._intervals)

    def seconds_to_close(self, t: int) -> float | None:
        """Seconds until the end of the session ``t`` is in (None outside a session)."""
        self._ensure(t)
        for a, b in self._intervals:
            if a <= t < b:
                return (b - t) / NS_PER_S
        return None

    def day_close_ns(self, t: int) -> int | None:
        """End of the last session of ``t``'s trading day (None when ``t`` has no trading day)."""
        self._ensure(t)
        return self._intervals[-1][1] if self._intervals else None
