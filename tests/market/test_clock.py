"""Session clock: night belongs to the next trading day, breaks and auctions are out."""

from __future__ import annotations

import datetime as dt

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.clock import SessionClock, midnight_ns
from ghtrader.market.sessions import variety_sessions

S = 1_000_000_000


def at(day: dt.date, hh: int, mm: int, ss: float = 0.0) -> int:
    return midnight_ns(day) + int((hh * 3600 + mm * 60 + ss) * S)


def test_cu_sessions(calendar: TradingCalendar) -> None:
    clock = SessionClock(calendar, variety_sessions("cu"))
    fri, sat, mon = dt.date(2025, 3, 7), dt.date(2025, 3, 8), dt.date(2025, 3, 10)
    inside = [at(fri, 21, 0), at(fri, 23, 59, 59), at(sat, 0, 59, 59.5), at(mon, 9, 0), at(mon, 14, 59, 59.5)]
    outside = [
        at(fri, 20, 56),
        at(sat, 1, 0),
        at(mon, 8, 59),
        at(mon, 10, 20),
        at(mon, 15, 0),
        at(sat, 10, 0),
    ]
    assert all(clock.in_session(t) for t in inside)
    assert not any(clock.in_session(t) for t in outside)
    assert clock.seconds_to_close(at(mon, 14, 59, 30)) == 30.0
    assert clock.day_close_ns(at(fri, 22, 0)) == at(mon, 15, 0)


def test_no_night_before_holiday(calendar: TradingCalendar) -> None:
    clock = SessionClock(calendar, variety_sessions("cu"))
    # 2025-04-03 (Thu) is the evening before the Qingming holiday (Apr 4): no night session
    assert not clock.in_session(at(dt.date(2025, 4, 3), 21, 30))
    assert clock.in_session(at(dt.date(2025, 4, 2), 21, 30))
