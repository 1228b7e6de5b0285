"""Benchmark QuestDB vs the Parquet lake, and the project's ILP path vs the raw ``questdb`` client.

Run: ``.venv/bin/python benchmarks/bench_questdb.py [--days N]`` -> ``benchmarks/results/questdb.json``.
Data: ``N`` trading days (default 10) of every listed cu contract from the sim, generated before
timing. The lake side always runs (durable writes into a temp dir). The QuestDB side needs a server:
``GHTRADER_TEST_QUESTDB_SERVER=<run.sh>`` starts a throw-away one (what ``make bench`` does when
``../shared/tools/questdb`` exists), else ``GHTRADER_QUESTDB_HOST`` names one (throw-away table
prefixes, dropped afterwards); with neither it is recorded as ``"not run: no server"``.

Measured side by side in one run, on the same rows:
* ``ingest``: the project path (``write_frame`` -> ``QuestDbStore.write_partition``: checks, digest,
  tick frame, coverage row) until every write is applied, vs ``raw_client``: the same ILP frames
  (built before timing) sent with ``Sender.dataframe()`` and default auto-flush into a table with the
  same DDL, until applied — run before and after the project path. ``ingest_vs_raw`` is the ratio
  to their mean (goal >= 0.7).
* ``read_one_day``: best of ``READ_REPEATS`` reads of the largest mid-range symbol-day through
  ``QuestDbStore.read_day`` (coverage look-up + binary PGWire) vs ``ParquetLake.read_day``, the two
  taking turns;
  ``read_vs_lake`` is the ratio (goal <= 3).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
from ghtrader.store.questdb.conn import QuestDbConfig
from ghtrader.store.questdb.ddl import TableSpec, create_table_sql, drop_table_sql, tick_table

START = dt.date(2025, 3, 3)
VAR = "cu"
READ_REPEATS = 15
OUT = Path(__file__).resolve().parent / "results" / "questdb.json"


def load_frames(days: int) -> list[pd.DataFrame]:
    cal = TradingCalendar.bundled()
    src = SimSource(cal, ContractBook.load(cal))
    trading = cal.trading_days(START, START + dt.timedelta(days=days * 2 + 7))[:days]
    batches = [src.fetch_day(src.list_symbols(VAR, d), d) for d in trading]
    return [pd.concat(list(b.ticks.values()), ignore_index=True) for b in batches]


def time_ingest(store: TickStore, frames: list[pd.DataFrame], rows: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    parts = sum(len(write_frame(store, "ticks", f, "skip_existing", workers=1)) for f in frames)
    settle = getattr(getattr(store, "wal", None), "settle_all", None)
    if settle is not None:
        settle()  # until every write is visible to queries
    s = time.perf_counter() - t0
    return {"partitions": parts, "seconds": round(s, 3), "rows_per_s": round(rows / s)}


def time_read(store: TickStore, frames: list[pd.DataFrame]) -> dict[str, Any]:
    return time_reads([store], frames)[0]


def time_reads(stores: list[TickStore], frames: list[pd.DataFrame]) -> list[dict[str, Any]]:
    """Best of ``READ_REPEATS`` reads of the largest mid-range symbol-day from each store, the stores
    taking turns (so a passing load spike or the server's background work hits them alike)."""
    mid = frames[len(frames) // 2]
    sym = mid["symbol"].value_counts().idxmax()
    day = mid["trading_day"].iloc[0]
    best, rows = [float("inf")] * len(stores), [0] * len(stores)
    for _ in range(READ_REPEATS):
        for k, store in enumerate(stores):
            t0 = time.perf_counter()
            rows[k] = store.read_day("ticks", sym, day).num_rows
            best[k] = min(best[k], time.perf_counter() - t0)
    return [
        {"symbol": sym, "day": str(day), "rows": n, "seconds": round(b, 5)}
        for b, n in zip(best, rows, strict=True)
    ]


def ilp_frames(frames: list[pd.DataFrame], spec: TableSpec) -> list[pd.DataFrame]:
    """Per-(symbol, day) ILP frames, in the order the project path writes them."""
    out = []
    for f in frames:
        for _, part in f.sort_values(["symbol", "datetime_ns"], kind="stable").groupby("symbol", sort=True):
            out.append(ilp.tick_frame(to_arrow(part.reset_index(drop=True)), spec))
    return out


def time_raw_client(config: QuestDbConfig, frames: list[pd.DataFrame], rows: int) -> dict[str, Any]:
    """The raw client: ``Sender.dataframe()`` per frame, default auto-flush, then wait until applied."""
    from questdb import Sender

    from ghtrader.store.questdb.backend import QuestDbStore

    spec = tick_table("ticks", f"{config.table_prefix}_raw")
    store = QuestDbStore(config)
    store.pg.execute(create_table_sql(spec))
    try:
        prepared = ilp_frames(frames, spec)
        conf = f"http::addr={config.ilp_addr};protocol_version=2;"
        t0 = time.perf_counter()
        with Sender.from_conf(conf, **config.sender_kwargs()) as sender:
            for frame in prepared:
                sender.dataframe(frame, table_name=spec.name, symbols=ilp.symbol_columns(spec), at="ts")
            sender.flush()
        store.wait_applied([spec.name])
        s = time.perf_counter() - t0
        return {"seconds": round(s, 3), "rows_per_s": round(rows / s), "auto_flush": "client default"}
    finally:
        store.pg.execute(drop_table_sql(spec))
        store.close()


@contextmanager
def questdb_config() -> Iterator[QuestDbConfig | None]:
    prefix = f"bench_{uuid.uuid4().hex[:8]}"
    run_sh = os.environ.get("GHTRADER_TEST_QUESTDB_SERVER")
    if run_sh:
        from ghtrader.store.questdb.server import LocalQuestDb

        tmp = Path(tempfile.mkdtemp(prefix="bench_questdb_server_"))
        os.environ.setdefault("QDB_JAVA_OPTS", "-Xmx1g")  # run.sh's default heap (tests use less)
        server = LocalQuestDb.launch(Path(run_sh), tmp)
        try:
            yield server.config(table_prefix=prefix)
        finally:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    elif os.environ.get("GHTRADER_QUESTDB_HOST"):
        yield QuestDbConfig.from_settings(load_settings(env_file=None), table_prefix=prefix)
    else:
        yield None


def run_questdb(
    config: QuestDbConfig, frames: list[pd.DataFrame], rows: int, lake: ParquetLake
) -> dict[str, Any]:
    from ghtrader.store.questdb.backend import QuestDbStore

    warm = QuestDbStore(dataclasses.replace(config, table_prefix=config.table_prefix + "_warm"))
    warm.init_tables()  # warm the server's JIT and the client's numba decoders on one day
    try:
        time_ingest(warm, frames[:1], len(frames[0]))
        time_read(warm, frames[:1])
        time_raw_client(warm.config, frames[:1], len(frames[0]))
    finally:
        warm.drop_tables()
        warm.close()
    raw = time_raw_client(config, frames, rows)
    store = QuestDbStore(config)
    store.init_tables()
    try:
        ingest = time_ingest(store, frames, rows)
        read, lake_read = time_reads([store, lake], frames)  # taking turns, under the same load
    finally:
        store.drop_tables()
        store.close()
    raw_after = time_raw_client(config, frames, rows)  # again: the server's state and load drift
    raw_rps = (raw["rows_per_s"] + raw_after["rows_per_s"]) / 2
    return {
        "ingest": ingest
        | {
            "batch_rows": config.batch_rows,
            "auto_flush": "off: transactional requests of ~batch_rows rows, several partitions each",
        },
        "raw_client": {"before": raw, "after": raw_after},
        "ingest_vs_raw": round(ingest["rows_per_s"] / raw_rps, 3),
        "read_one_day": read,
        "lake_read_one_day_same_moment": lake_read,
        "read_vs_lake": round(read["seconds"] / lake_read["seconds"], 2),
    }


def main(days: int) -> dict[str, Any]:
    frames = load_frames(days)
    rows = sum(len(f) for f in frames)
    tmp = Path(tempfile.mkdtemp(prefix="bench_questdb_"))
    try:
        lake_store = ParquetLake(tmp / "lake_v2")
        lake = {
            "ingest": time_ingest(lake_store, frames, rows),
            "read_one_day": time_read(lake_store, frames),
        }
        with questdb_config() as config:
            if config is None:
                questdb: dict[str, Any] | str = (
                    "not run: no server (GHTRADER_TEST_QUESTDB_SERVER / _HOST unset)"
                )
            else:
                questdb = run_questdb(config, frames, rows, lake_store)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result: dict[str, Any] = {
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "data": "sim",
        "days": days,
        "variety": VAR,
        "rows": rows,
        "writers": 1,
        "lake": lake,
        "questdb": questdb,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=10, help="trading days of sim cu to write")
    print(json.dumps(main(parser.parse_args().days), indent=2))
