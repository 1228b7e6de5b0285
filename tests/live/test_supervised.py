"""Real supervisord with the repository's program files: health, kill -9 -> autorestart, SIGTERM -> final
flush, restart (seeded from the lake) -> no duplicates; the lake equals the sim's ground truth outside
the recorded gaps."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import stat
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ghtrader.live.gaps import GapLog
from ghtrader.sources.sim import SimConfig, SimSource
from ghtrader.store.lake import ParquetLake
from ghtrader.store.manifest import verify_partition
from ghtrader.testing.sockets import is_loopback, listening_sockets
from ghtrader.testing.supervisor import BIN, LiveStack

pytestmark = pytest.mark.skipif(not (BIN / "supervisord").exists(), reason="supervisor not installed")

DAY = dt.date(2025, 3, 4)
START_AT = "2025-03-04T09:00"
SPEED = 50.0
SEED = 20250303


def stored_ticks(data: Path, symbols: list[str]) -> pd.DataFrame:
    lake = ParquetLake(data / "lake_v2")
    frames = [lake.read_day("ticks", s, DAY).to_pandas() for s in symbols]
    return pd.concat(frames, ignore_index=True)


def wait_rows(data: Path, symbols: list[str], at_least: int, timeout: float = 30.0) -> int:
    lake = ParquetLake(data / "lake_v2")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        n = sum((m.rows if (m := lake.manifest("ticks", s, DAY)) else 0) for s in symbols)
        if n >= at_least:
            return n
        time.sleep(0.2)
    raise TimeoutError(f"fewer than {at_least} rows stored after {timeout}s")


def test_supervised_recorder_survives_kill9_and_stops_cleanly(tmp_path: Path, calendar, book) -> None:  # noqa: ANN001
    symbols = sorted(s.symbol for s in book.listed("cu", DAY))[1:3]
    data, run = tmp_path / "data", tmp_path / "run"
    stack = LiveStack(
        run,
        {
            "GHTRADER_DATA_DIR": str(data),
            "GHTRADER_SIM_SEED": str(SEED),
            "GHTRADER_RECORD_VAR": "cu",
            "GHTRADER_RECORD_SYMBOLS": ",".join(symbols),
            "GHTRADER_RECORD_START_AT": START_AT,
            "GHTRADER_RECORD_SPEED": str(SPEED),
            "GHTRADER_RECORD_FLUSH_S": "1",
            "GHTRADER_RECORDER_PORT": "0",
        },
        only=("recorder",),  # the recorder alone (the trade runner has its own drill)
    )
    stack.start()
    try:
        pid1 = stack.wait_running()
        assert stat.S_IMODE(os.stat(run / "supervisor.sock").st_mode) == 0o700
        assert listening_sockets(stack.supervisord_pid()) == []  # no TCP control port
        hb = stack.wait_heartbeat(pid1)
        with urllib.request.urlopen(f"http://{hb['http']}/healthz", timeout=5) as r:
            assert r.status == 200 and json.loads(r.read())["healthy"] is True
        socks = listening_sockets(pid1)
        assert socks and all(is_loopback(a) for a, _ in socks), socks
        before_kill = wait_rows(data, symbols, 100)
        with urllib.request.urlopen(f"http://{hb['http']}/metrics", timeout=5) as r:
            fams = {f.name: f for f in text_string_to_metric_families(r.read().decode())}
        written = {s.labels["symbol"] for s in fams["ghtrader_recorder_ticks_written"].samples}
        assert written == set(symbols)
        assert {"ghtrader_recorder_flush_seconds", "ghtrader_recorder_last_tick_age_seconds"} <= set(fams)

        os.kill(pid1, signal.SIGKILL)  # supervisord must bring it back
        stack.wait_running(not_pid=pid1)  # restarted: its watermark comes from the lake only
        wait_rows(data, symbols, before_kill + 50)
        assert stack.ctl("stop", "live:recorder").returncode == 0
        all_events = stack.events()
        events = [e["event"] for e in all_events]
        assert events[-2:] == ["final_flush", "stopped"], stack.tail()
        received = int(all_events[-2]["last_received_ns"])  # type: ignore[call-overload]
        assert stack.heartbeat()["state"] == "stopped"
        assert stack.ctl("status").returncode == 3  # a program is not RUNNING
    finally:
        stack.shutdown()

    got = stored_ticks(data, symbols)
    assert not got.duplicated(["symbol", "datetime_ns"]).any()
    lake = ParquetLake(data / "lake_v2")
    assert all(verify_partition(lake.partition_dir("ticks", s, DAY)) == [] for s in symbols)
    truth = pd.concat(
        SimSource(calendar, book, SimConfig(seed=SEED)).fetch_day(symbols, DAY).ticks.values(),
        ignore_index=True,
    )
    merged = got.merge(
        truth, on=["symbol", "datetime_ns"], how="left", suffixes=("", "_truth"), indicator=True
    )
    assert (merged["_merge"] == "both").all()  # every stored row is a real sim tick ...
    for col in ("last_price", "volume", "bid_price1", "ask_volume5", "open_interest"):
        assert np.array_equal(merged[col].to_numpy(), merged[col + "_truth"].to_numpy())  # ... unchanged

    # SIGTERM loses nothing: every tick received before the stop signal is stored
    assert received == int(got["datetime_ns"].max())
    gaps = GapLog(data / "live" / "gaps.jsonl").open_gaps()
    kill_gaps = [g for g in gaps if g.reason == "restart"]
    assert kill_gaps, "the kill -9 downtime must be in the gap log"
    lo = max(g.end_ns for g in kill_gaps)
    want = truth[(truth["datetime_ns"] >= lo) & (truth["datetime_ns"] <= received)]
    assert len(want) and want["datetime_ns"].isin(got["datetime_ns"]).all()
    assert {g.reason for g in gaps} >= {"restart", "stop"}
    # and outside the recorded gaps nothing is missing either
    inside = np.zeros(len(truth), dtype=bool)
    for g in gaps:
        inside |= (
            (truth["symbol"] == g.symbol).to_numpy()
            & (truth["datetime_ns"] > g.start_ns).to_numpy()
            & (truth["datetime_ns"] < g.end_ns).to_numpy()
        )
    span = (truth["datetime_ns"] >= got["datetime_ns"].min()) & (
        truth["datetime_ns"] <= got["datetime_ns"].max()
    )
    expected = truth[span.to_numpy() & ~inside]
    assert (
        expected.set_index(["symbol", "datetime_ns"])
        .index.isin(got.set_index(["symbol", "datetime_ns"]).index)
        .all()
    )
