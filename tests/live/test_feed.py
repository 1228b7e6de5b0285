"""The live tick interface: monotonic de-duplication and the sim replayed in (scaled) wall-clock time."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ghtrader.live.feed import MonotonicDedup, SimLiveFeed, TickFeed, run_feed
from ghtrader.sources.sim import SimSource

DAY = dt.date(2025, 3, 4)


def _frame(rows: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame({"symbol": [s for s, _ in rows], "datetime_ns": [t for _, t in rows]})


def test_dedup_keeps_strictly_newer_rows_per_symbol() -> None:
    dedup = MonotonicDedup()
    a = dedup(_frame([("A", 1), ("A", 2), ("B", 1), ("A", 2), ("A", 1), ("B", 3), ("A", 5)]))
    assert list(zip(a["symbol"], a["datetime_ns"], strict=True)) == [
        ("A", 1),
        ("A", 2),
        ("B", 1),
        ("B", 3),
        ("A", 5),
    ]
    b = dedup(_frame([("A", 5), ("B", 2), ("A", 6), ("B", 4), ("C", 0)]))
    assert list(zip(b["symbol"], b["datetime_ns"], strict=True)) == [("A", 6), ("B", 4), ("C", 0)]
    assert dedup.last_ns == {"A": 6, "B": 4, "C": 0}
    assert dedup(_frame([("A", 6), ("B", 4)])).empty


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s


@pytest.fixture(scope="module")
def sim(calendar, book) -> SimSource:  # noqa: ANN001
    return SimSource(calendar, book)


def test_sim_live_feed_replays_the_day_in_scaled_wall_clock_time(sim: SimSource, book) -> None:  # noqa: ANN001
    symbols = [s.symbol for s in book.listed("cu", DAY)[:2]]
    clock = FakeClock()
    feed = SimLiveFeed(sim, symbols, DAY, speed=600.0, batch_ms=60_000, clock=clock.now, sleep=clock.sleep)
    assert isinstance(feed, TickFeed)
    got: list[tuple[float, pd.DataFrame]] = []
    run_feed(feed, lambda b: got.append((clock.t, b)))
    ticks = pd.concat([b for _, b in got], ignore_index=True)
    want = pd.concat([sim.fetch_day(symbols, DAY).ticks[s] for s in symbols], ignore_index=True)
    want = want.sort_values("datetime_ns", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(ticks, want)
    first = int(want["datetime_ns"].iloc[0])
    for t, batch in got:  # nothing is delivered before its market time (scaled) has passed
        assert t - 100.0 >= (int(batch["datetime_ns"].max()) - first) / 1e9 / 600.0 - 1e-9
    span = (int(want["datetime_ns"].iloc[-1]) - first) / 1e9 / 600.0
    assert clock.t - 100.0 == pytest.approx(span)


def test_sim_live_feed_start_and_close(sim: SimSource, book) -> None:  # noqa: ANN001
    symbol = book.listed("cu", DAY)[0].symbol
    day = sim.fetch_day([symbol], DAY).ticks[symbol]
    mid = int(day["datetime_ns"].iloc[len(day) // 2])
    feed = SimLiveFeed(sim, [symbol], DAY, speed=float("inf"), start_ns=mid)
    first = next(iter(feed))
    assert int(first["datetime_ns"].min()) >= mid
    feed.close()
    assert list(feed) == []  # a closed feed yields nothing more
    n = run_feed(SimLiveFeed(sim, [symbol], DAY, speed=float("inf")), lambda _b: None, max_batches=3)
    assert n == 3
    with pytest.raises(ValueError, match="speed"):
        SimLiveFeed(sim, [symbol], DAY, speed=0)
    assert np.all(np.diff(day["datetime_ns"].to_numpy()) > 0)
