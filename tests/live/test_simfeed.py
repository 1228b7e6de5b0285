"""The sim live feed on a virtual clock: ``open`` generates the day before any tick is released,
nothing before the opening is delivered, a day rollover uses the day generated ahead (no stall) and
releases the old day's tail first, and no tick is delivered twice."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ghtrader.live.clock import SessionTimeline, VirtualClock, parse_start_at
from ghtrader.live.simfeed import AHEAD_S, VirtualSimFeed
from ghtrader.sources.sim import SimSource

SYMBOLS = ("SHFE.cu2504",)


class Wall:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_open_rollover_and_no_duplicates(calendar, book) -> None:  # noqa: ANN001
    wall = Wall(1000.0)
    speed = 600.0  # 10 market minutes per wall second
    start = parse_start_at("2025-03-04T14:30")  # half an hour before the day session ends
    clock = VirtualClock(SessionTimeline(calendar, ("cu",)), start, speed, wall.t, wall=wall)
    sim = SimSource(calendar, book)
    generated: list[tuple[dt.date, dt.date | None]] = []  # (day generated, the clock's day then)

    def poll(_s: float) -> None:  # each poll lets half a wall second pass
        wall.t += 0.5

    feed = VirtualSimFeed(sim, ("cu",), clock, symbols=SYMBOLS, poll_s=0.5, sleep=poll)
    real_generate = feed._generate
    feed._generate = lambda day: (  # type: ignore[method-assign]
        generated.append((day, calendar.trading_day_of(clock.market_ns()))),
        real_generate(day),
    )[1]
    feed.open()
    assert [d for d, _ in generated] == [dt.date(2025, 3, 4)]
    wall.t += 1.0  # time passes while the recorder starts: those ticks are downtime, not delivered
    opened = clock.market_ns()
    batches = []
    it = iter(feed)
    while clock.market_ns() < parse_start_at("2025-03-05T09:10"):
        batches.append(next(it))
    feed.close()
    got = pd.concat(batches, ignore_index=True)
    ns = got["datetime_ns"].to_numpy()
    assert (np.diff(ns) > 0).all()  # one symbol: strictly increasing, no tick twice
    assert ns.min() > opened - 2e8  # nothing from before the feed opened (one 0.1 s poll of slack)
    days = sorted(set(got["trading_day"]))
    assert days == [dt.date(2025, 3, 4), dt.date(2025, 3, 5)]  # the old day's tail, then the new day
    # the next day generated once, in the background while the clock was still in the old day
    assert generated[1] == (dt.date(2025, 3, 5), dt.date(2025, 3, 4))
    truth = sim.fetch_day(list(SYMBOLS), dt.date(2025, 3, 4)).ticks[SYMBOLS[0]]["datetime_ns"].to_numpy()
    tail = truth[truth > ns.min()]
    assert np.isin(tail, ns).all()  # every tick of the old day after the opening was delivered
    assert AHEAD_S > 0
