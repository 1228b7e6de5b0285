"""Benchmark the Parquet lake v2: write rows/s, full ingest rows/s, one-day read time, bytes per tick.

Run: ``.venv/bin/python benchmarks/bench_lake.py`` -> writes ``benchmarks/results/lake.json``.
Data: two weeks of every listed cu contract from the sim source (generated before timing); if
``ghtrader.sources.sim`` is not importable, synthetic in-session ticks of the same shape.
Writes are durable (fsync) into a temp dir on the local disk.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.schema import ASK_PRICE, ASK_VOLUME, BID_PRICE, BID_VOLUME, TICK_COLUMNS
from ghtrader.sources.base import DayBatch
from ghtrader.store import ParquetLake
from ghtrader.store.ingest import IngestSummary, ingest_batch, write_frame

START, END = dt.date(2025, 3, 3), dt.date(2025, 3, 14)
VAR = "cu"
READ_REPEATS = 20
OUT = Path(__file__).resolve().parent / "results" / "lake.json"


def synthetic_day(symbols: list[str], day: dt.date, n: int = 8000) -> DayBatch:
    """In-session 2 Hz day-session ticks on the cu grid (fallback when the sim is unavailable)."""
    frames = {}
    open_ns = ((day - dt.date(1970, 1, 1)).days * 86400 + 3600) * 10**9  # 09:00 CST = 01:00 UTC
    for k, sym in enumerate(symbols):
        rng = np.random.default_rng([k, day.toordinal()])
        bid1 = 70000.0 + 10 * np.cumsum(rng.integers(-1, 2, n))
        qty = rng.integers(0, 20, n)
        last = bid1 + 10 * rng.integers(0, 2, n)
        volume = np.cumsum(qty) + 1
        amount = np.cumsum(qty * last * 5.0) + last[0] * 5
        df = pd.DataFrame(
            {
                "symbol": sym,
                "datetime_ns": open_ns + 10**9 + np.arange(n, dtype=np.int64) * 500_000_000,
                "trading_day": [day] * n,
                "last_price": last,
                "average": amount / (volume * 5),
                "highest": np.maximum.accumulate(last),
                "lowest": np.minimum.accumulate(last),
                "volume": volume,
                "amount": amount,
                "open_interest": 50000 + np.cumsum(rng.integers(-5, 6, n)),
            }
        )
        for i, (bp, bv, ap, av) in enumerate(zip(BID_PRICE, BID_VOLUME, ASK_PRICE, ASK_VOLUME, strict=True)):
            df[bp], df[ap] = bid1 - 10 * i, bid1 + 10 * (i + 1)
            df[bv], df[av] = rng.integers(1, 200, n).astype(float), rng.integers(1, 200, n).astype(float)
        frames[sym] = df[TICK_COLUMNS]
    return DayBatch(day, frames, {}, tuple(symbols))


def load_batches(cal: TradingCalendar, book: ContractBook) -> tuple[str, list[DayBatch]]:
    days = cal.trading_days(START, END)
    try:
        from ghtrader.sources.sim import SimSource
    except ImportError:
        return "synthetic", [synthetic_day([s.symbol for s in book.listed(VAR, d)], d) for d in days]
    src = SimSource(cal, book)
    return "sim", [src.fetch_day(src.list_symbols(VAR, d), d) for d in days]


def dir_bytes(root: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in root.rglob(pattern))


def main() -> dict[str, object]:
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    data, batches = load_batches(cal, book)
    rows = sum(len(f) for b in batches for f in b.ticks.values())
    frames = [pd.concat(list(b.ticks.values()), ignore_index=True) for b in batches]
    tmp = Path(tempfile.mkdtemp(prefix="bench_lake_"))
    try:
        lake = ParquetLake(tmp / "write" / "lake_v2")
        t0 = time.perf_counter()
        parts = sum(len(write_frame(lake, "ticks", f, "skip_existing", workers=4)) for f in frames)
        write_s = time.perf_counter() - t0
        tick_bytes = dir_bytes(lake.root / "ticks", "part-*.parquet")

        ing = ParquetLake(tmp / "ingest" / "lake_v2")
        kw = dict(calendar=cal, book=book, source=data, quarantine_dir=tmp / "ingest" / "quarantine")
        t0 = time.perf_counter()
        first = sum((ingest_batch(ing, b, list(b.requested), **kw) for b in batches), IngestSummary())  # type: ignore[arg-type]
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = sum((ingest_batch(ing, b, list(b.requested), **kw) for b in batches), IngestSummary())  # type: ignore[arg-type]
        reingest_s = time.perf_counter() - t0

        day = batches[len(batches) // 2].trading_day
        sym = max(batches[len(batches) // 2].ticks.items(), key=lambda kv: len(kv[1]))[0]
        best = float("inf")
        for _ in range(READ_REPEATS):
            t0 = time.perf_counter()
            day_rows = lake.read_day("ticks", sym, day).num_rows
            best = min(best, time.perf_counter() - t0)
        result: dict[str, object] = {
            "machine": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "data": data,
            "range": [START.isoformat(), END.isoformat()],
            "variety": VAR,
            "rows": rows,
            "partitions": parts,
            "lake_write": {"seconds": round(write_s, 3), "rows_per_s": round(rows / write_s)},
            "ingest_with_gate_and_sidecars": {
                "seconds": round(ingest_s, 3),
                "rows_per_s": round(rows / ingest_s),
                "rows_quarantined": first.rows_quarantined,
                "sidecars_written": first.sidecars_written,
            },
            "reingest_unchanged": {
                "seconds": round(reingest_s, 3),
                "partitions_unchanged": again.partitions_unchanged,
                "rows_written": again.rows_written,
            },
            "read_one_day": {
                "symbol": sym,
                "day": day.isoformat(),
                "rows": day_rows,
                "seconds": round(best, 5),
            },
            "bytes_per_tick": round(tick_bytes / rows, 2),
            "sidecar_bytes_per_tick": round(dir_bytes(ing.root / "sidecars", "part-*.parquet") / rows, 2),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
