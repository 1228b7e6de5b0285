"""The virtual session clock: wall time -> session time, skipping breaks, nights off and holidays."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtrader.live.clock import SessionTimeline, VirtualClock, load_or_start_clock, parse_start_at


def cst(text: str) -> int:
    return int(pd.Timestamp(text, tz="Asia/Shanghai").value)


def test_start_at_is_exchange_time() -> None:
    assert parse_start_at("2025-03-03T21:00") == cst("2025-03-03 21:00")


def test_clock_walks_sessions_and_skips_breaks(calendar) -> None:  # noqa: ANN001
    clock = VirtualClock(SessionTimeline(calendar, ["cu", "au", "ag"]), cst("2025-03-03 21:00"), 3600.0, 0.0)
    assert clock.market_ns(0.0) == cst("2025-03-03 21:00")
    assert clock.market_ns(5.0) == cst("2025-03-04 02:00")  # au/ag trade to 02:30
    assert clock.market_ns(5.5) == cst("2025-03-04 09:00")  # 02:30 -> 09:00 skipped
    assert clock.market_ns(6.75) == cst("2025-03-04 10:30")  # 10:15 break skipped
    assert clock.market_ns(7.75) == cst("2025-03-04 13:30")  # lunch skipped
    assert clock.market_ns(9.25) == cst("2025-03-04 21:00")  # 15:00 -> the evening session
    assert clock.window_end(cst("2025-03-04 09:30")) == cst("2025-03-04 10:15")
    assert clock.window_end(cst("2025-03-04 12:00")) == cst("2025-03-04 15:00")


def test_clock_skips_holidays_and_the_missing_night_after_them(calendar) -> None:  # noqa: ANN001
    clock = VirtualClock(SessionTimeline(calendar, ["cu"]), cst("2025-09-30 14:00"), 3600.0, 0.0)
    # National Day: no night session on 09-30, next trading day 10-09 opens at 09:00 without a night
    assert clock.market_ns(1.0) == cst("2025-10-09 09:00")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 200_000, allow_nan=False), min_size=2, max_size=20))
def test_market_time_is_monotone_in_session_and_invertible(calendar, walls: list[float]) -> None:  # noqa: ANN001
    clock = VirtualClock(SessionTimeline(calendar, ["cu"]), cst("2025-03-07 14:00"), 50.0, 0.0)
    walls = sorted(walls)
    got = [clock.market_ns(w) for w in walls]
    assert got == sorted(got)
    for w, ns in zip(walls, got, strict=True):
        day = calendar.trading_day_of(ns)
        assert day is not None and calendar.is_trading_day(day)
        assert abs(clock.wall_at(ns) - w) < 1e-3


def test_restart_continues_the_same_timeline(tmp_path: Path, calendar) -> None:  # noqa: ANN001
    path = tmp_path / "clock.json"
    start = cst("2025-03-03 21:00")
    wall = {"t": 1000.0}
    a = load_or_start_clock(path, SessionTimeline(calendar, ["cu"]), start, 50.0, wall=lambda: wall["t"])
    wall["t"] = 1010.0  # the recorder was down for 10 s: the market moved on 500 s
    b = load_or_start_clock(path, SessionTimeline(calendar, ["cu"]), start, 50.0, wall=lambda: wall["t"])
    assert b.anchor_wall == a.anchor_wall and b.market_ns() == start + 500 * 10**9
    c = load_or_start_clock(path, SessionTimeline(calendar, ["cu"]), start, 60.0, wall=lambda: wall["t"])
    assert c.anchor_wall == 1010.0 and c.market_ns() == start  # another timeline starts afresh
