"""Live tick subscription over a fake TqApi replaying the real cu1909 ticks into a sliding tick serial."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt

from ghtrader.live.feed import TickFeed, run_feed
from ghtrader.sources.tqsdk.frames import tq_frame_to_ticks
from ghtrader.sources.tqsdk.live import TqLiveFeed

SYMBOL = "SHFE.cu1909"


class FakeLiveApi:
    """``get_tick_serial`` window of ``length`` rows updated in place; each update appends 0..3 rows
    (0 = a no-op update re-sending the same window), after the window starts with unfilled rows."""

    def __init__(self, frame: pd.DataFrame, length: int, seed: int) -> None:
        self.frame = frame
        self.length = length
        self.rng = np.random.default_rng(seed)
        self.pos = 0
        self.serial = pd.DataFrame(0.0, index=range(length), columns=frame.columns)
        self.serial["datetime"] = 0
        self.moved = False
        self.closed = False

    def get_tick_serial(self, symbol: str, data_length: int = 200) -> pd.DataFrame:
        assert symbol == SYMBOL
        return self.serial

    def wait_update(self, deadline: float | None = None) -> bool:
        if self.pos >= len(self.frame):
            return False  # deadline passed without news
        k = int(self.rng.integers(0, 4))
        new = self.frame.iloc[self.pos : self.pos + k]
        self.pos += k
        window = pd.concat([self.serial, new], ignore_index=True).iloc[-self.length :]
        self.serial.iloc[:, :] = window.to_numpy()  # TqSdk updates the same frame object in place
        self.moved = k > 0
        return True

    def is_changing(self, obj: object, key: str | None = None) -> bool:
        return self.moved

    def close(self) -> None:
        self.closed = True


def test_live_feed_delivers_each_real_tick_once_in_order(real_tq_frame, calendar) -> None:  # noqa: ANN001
    api = FakeLiveApi(real_tq_frame, length=8, seed=7)
    feed = TqLiveFeed(lambda **_: api, [SYMBOL], calendar, data_length=8, wait_s=0.01, max_idle_s=0.0)
    assert isinstance(feed, TickFeed)
    batches: list[pd.DataFrame] = []
    n = run_feed(feed, batches.append)
    got = pd.concat(batches, ignore_index=True)
    pdt.assert_frame_equal(got, tq_frame_to_ticks(real_tq_frame, SYMBOL, calendar))
    assert 1 < n < len(real_tq_frame) and api.closed


def test_live_feed_replayed_history_is_not_repeated(real_tq_frame, calendar) -> None:  # noqa: ANN001
    """A reconnect replays the window: the second pass over the same ticks yields nothing new."""
    twice = pd.concat([real_tq_frame.iloc[:50], real_tq_frame.iloc[:60]], ignore_index=True)
    api = FakeLiveApi(twice, length=16, seed=1)
    feed = TqLiveFeed(lambda **_: api, [SYMBOL], calendar, wait_s=0.01, max_idle_s=0.0)
    got = pd.concat(list(feed), ignore_index=True)
    assert got["datetime_ns"].tolist() == real_tq_frame["datetime"].iloc[:60].tolist()
