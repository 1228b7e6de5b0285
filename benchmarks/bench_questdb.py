"""Benchmark QuestDB vs the Parquet lake on the same data: ingest rows/s and one-day read time.

Run: ``.venv/bin/python benchmarks/bench_questdb.py`` -> ``benchmarks/results/questdb.json``.
Data: two weeks of every listed cu contract from the sim (generated before timing). The lake side
always runs (durable writes into a temp dir). The QuestDB side runs only when
``GHTRADER_QUESTDB_HOST`` is set, into tables with a throw-away prefix that are dropped afterwards;
otherwise it is recorded as ``"not run: no server"``. ``ilp_encode`` times the client-side ILP
serialization alone (``Buffer``, no network): the ceiling of what one Python writer can send.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from ghtrader.config import load_settings
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import to_arrow
from ghtrader.sources.sim import SimSource
from ghtrader.store.base import TickStore
from ghtrader.store.ingest import write_frame
from ghtrader.store.lake import ParquetLake
from ghtrader.store.questdb import ilp
from ghtrader.store.questdb.ddl import tick_table

START, END = dt.date(2025, 3, 3), dt.date(2025, 3, 14)
VAR = "cu"
READ_REPEATS = 5
OUT = Path(__file__).resolve().parent / "results" / "questdb.json"


def load_frames() -> list[pd.DataFrame]:
    cal = TradingCalendar.bundled()
    src = SimSource(cal, ContractBook.load(cal))
    batches = [src.fetch_day(src.list_symbols(VAR, d), d) for d in cal.trading_days(START, END)]
    return [pd.concat(list(b.ticks.values()), ignore_index=True) for b in batches]


def time_store(store: TickStore, frames: list[pd.DataFrame], rows: int, workers: int) -> dict[str, Any]:
    """Write every frame, then time the best of ``READ_REPEATS`` reads of the largest mid-range day."""
    t0 = time.perf_counter()
    parts = sum(len(write_frame(store, "ticks", f, "skip_existing", workers=workers)) for f in frames)
    write_s = time.perf_counter() - t0
    mid = frames[len(frames) // 2]
    sym = mid["symbol"].value_counts().idxmax()
    day = mid["trading_day"].iloc[0]
    best = float("inf")
    for _ in range(READ_REPEATS):
        t0 = time.perf_counter()
        n = store.read_day("ticks", sym, day).num_rows
        best = min(best, time.perf_counter() - t0)
    return {
        "partitions": parts,
        "ingest": {"seconds": round(write_s, 3), "rows_per_s": round(rows / write_s)},
        "read_one_day": {"symbol": sym, "day": str(day), "rows": n, "seconds": round(best, 5)},
    }


def time_ilp_encode(frames: list[pd.DataFrame], rows: int) -> dict[str, Any]:
    spec = tick_table("ticks", "bench")
    t0 = time.perf_counter()
    nbytes = 0
    for f in frames:
        for _, part in f.groupby("symbol", sort=True):
            buf = ilp.build_buffer(ilp.tick_frame(to_arrow(part.reset_index(drop=True)), spec), spec, 2)
            nbytes += len(buf)
    s = time.perf_counter() - t0
    return {"seconds": round(s, 3), "rows_per_s": round(rows / s), "bytes_per_row": round(nbytes / rows, 1)}


def run_questdb(frames: list[pd.DataFrame], rows: int) -> dict[str, Any] | str:
    if not os.environ.get("GHTRADER_QUESTDB_HOST"):
        return "not run: no server (GHTRADER_QUESTDB_HOST unset)"
    from ghtrader.store.questdb.backend import QuestDbStore
    from ghtrader.store.questdb.conn import QuestDbConfig

    prefix = f"bench_{uuid.uuid4().hex[:8]}"
    store = QuestDbStore(QuestDbConfig.from_settings(load_settings(env_file=None), table_prefix=prefix))
    store.init_tables()
    try:
        return time_store(store, frames, rows, workers=1)
    finally:
        store.drop_tables()
        store.close()


def main() -> dict[str, Any]:
    frames = load_frames()
    rows = sum(len(f) for f in frames)
    tmp = Path(tempfile.mkdtemp(prefix="bench_questdb_"))
    try:
        lake = time_store(ParquetLake(tmp / "lake_v2"), frames, rows, workers=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result: dict[str, Any] = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "data": "sim",
        "range": [START.isoformat(), END.isoformat()],
        "variety": VAR,
        "rows": rows,
        "writers": 1,
        "lake": lake,
        "ilp_encode_no_network": time_ilp_encode(frames, rows),
        "questdb": run_questdb(frames, rows),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
