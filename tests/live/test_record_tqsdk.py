"""The recorder on the TqSdk live subscription (a fake TqApi with sliding tick serials): reconnects
replay the serial window, the recorder stores each tick once and logs the reconnect gap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry

from ghtrader.live.gaps import GapLog
from ghtrader.live.metrics import RecorderMetrics
from ghtrader.live.recorder import Recorder, RecorderConfig
from ghtrader.sources.sim import SimSource
from ghtrader.sources.tqsdk.live import TqLiveFeed
from ghtrader.store.lake import ParquetLake

DAY = dt.date(2025, 3, 4)
TQ = [
    "last_price",
    "highest",
    "lowest",
    "average",
    "volume",
    "amount",
    "open_interest",
    *[f"{x}{i}" for i in range(1, 6) for x in ("bid_price", "bid_volume", "ask_price", "ask_volume")],
]


class FakeSerialApi:
    """``get_tick_serial`` windows (``length`` rows, updated in place) over per-symbol tick frames."""

    def __init__(self, frames: dict[str, pd.DataFrame], start: int, stop: int, length: int = 32) -> None:
        self.frames = {s: f.iloc[:stop].reset_index(drop=True) for s, f in frames.items()}
        self.pos = dict.fromkeys(frames, start)
        self.length = length
        self.serials: dict[str, pd.DataFrame] = {}
        self.moved: set[int] = set()

    def get_tick_serial(self, symbol: str, data_length: int = 200) -> pd.DataFrame:
        f = self.frames[symbol]
        lo = max(0, self.pos[symbol] - self.length)
        self.serials[symbol] = f.iloc[lo : self.pos[symbol]].reset_index(drop=True).copy()
        return self.serials[symbol]

    def wait_update(self, deadline: float | None = None) -> bool:
        self.moved = set()
        for s, f in self.frames.items():
            if self.pos[s] >= len(f):
                continue
            self.pos[s] += 10
            window = f.iloc[max(0, self.pos[s] - self.length) : self.pos[s]].reset_index(drop=True)
            serial = self.serials[s]
            serial.drop(serial.index, inplace=True)
            for c in window.columns:  # same object, new content (as TqSdk updates in place)
                serial[c] = window[c]
            self.moved.add(id(serial))
        return bool(self.moved)

    def is_changing(self, obj: object, key: str | None = None) -> bool:
        return id(obj) in self.moved

    def close(self) -> None:
        pass


def to_tq(ticks: pd.DataFrame) -> pd.DataFrame:
    out = ticks[TQ].astype("float64")
    out.insert(0, "datetime", ticks["datetime_ns"].to_numpy(np.int64))
    return out.reset_index(drop=True)


def test_recorder_over_tqsdk_reconnects_without_duplicates(tmp_path: Path, calendar, book) -> None:  # noqa: ANN001
    syms = [s.symbol for s in book.listed("cu", DAY)[1:3]]
    sim = SimSource(calendar, book)
    ticks = {s: sim.fetch_day([s], DAY).ticks[s] for s in syms}
    frames = {s: to_tq(t) for s, t in ticks.items()}
    rec = Recorder(
        ParquetLake(tmp_path / "lake_v2"),
        RecorderConfig(quarantine_dir=tmp_path / "q", source="tqsdk"),
        calendar=calendar,
        book=book,
        gaps=GapLog(tmp_path / "gaps.jsonl", durable=False),
        metrics=RecorderMetrics(CollectorRegistry()),
        market_now=lambda: 0,
    )
    # first connection up to tick 150, then the connection drops; the second one reconnects
    # 50 ticks later (its serial window replays ticks already stored) and runs to tick 300
    for n, (start, stop) in enumerate(((32, 150), (200, 300))):
        api = FakeSerialApi(frames, start, stop)
        if n:
            rec.mark_reconnect()
        for batch in TqLiveFeed(lambda api=api, **_: api, syms, calendar, wait_s=0.0, max_idle_s=0.0):
            rec.accept(batch)
        rec.flush()
    lake = ParquetLake(tmp_path / "lake_v2")
    for s in syms:
        got = lake.read_day("ticks", s, DAY).to_pandas()["datetime_ns"].to_numpy()
        want = ticks[s]["datetime_ns"].to_numpy()
        assert len(np.unique(got)) == len(got)
        # each connection's first update holds the serial window after one update (10 new rows)
        assert set(got) == set(want[10:150]) | set(want[210 - 32 : 300])
    gaps = [g for g in GapLog(tmp_path / "gaps.jsonl").open_gaps() if g.reason == "reconnect"]
    assert sorted(g.symbol for g in gaps) == sorted(syms)
    for g in gaps:
        w = ticks[g.symbol]["datetime_ns"].to_numpy()
        assert (g.start_ns, g.end_ns) == (w[149], w[210 - 32])
