"""Benchmark the factor engine on one core: batch ticks/s for the whole factor set, online µs/tick.

Run: ``.venv/bin/python benchmarks/bench_features.py`` -> writes ``benchmarks/results/features.json``.
Numba runs single-threaded (``NUMBA_NUM_THREADS=1``, no ``parallel``); timings are the best of
``REPEATS`` after a warm-up call (JIT / cache load excluded). Input: three sim cu main-contract days.
"""

from __future__ import annotations

import os

os.environ["NUMBA_NUM_THREADS"] = "1"

import datetime as dt  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ghtrader.features import (  # noqa: E402
    FactorState,
    FeatureConfig,
    OnlineFactorEngine,
    compute_features,
    factor_specs,
)
from ghtrader.features.build import build_features  # noqa: E402
from ghtrader.features.engine import compute_matrix, day_keys, tick_inputs  # noqa: E402
from ghtrader.market.calendar import TradingCalendar  # noqa: E402
from ghtrader.market.contracts import ContractBook  # noqa: E402
from ghtrader.schema import MAIN_L5_SCHEMA, to_arrow  # noqa: E402
from ghtrader.sources.sim import SimSource  # noqa: E402
from ghtrader.store.lake import ParquetLake  # noqa: E402

CONTRACT = "SHFE.cu2504"
MAIN = "KQ.m@SHFE.cu"
DAYS = [dt.date(2025, 3, 10), dt.date(2025, 3, 11), dt.date(2025, 3, 12)]
REPEATS = 5
ONLINE_TICKS = 50_000
OUT = Path(__file__).resolve().parent / "results" / "features.json"


def best(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def sim_days(book: ContractBook, cal: TradingCalendar) -> list[pd.DataFrame]:
    src = SimSource(cal, book)
    out = []
    for day in DAYS:
        got = src.contract_day(CONTRACT, day)
        assert got is not None
        df = got[0].assign(
            underlying_contract=CONTRACT, symbol=MAIN, segment_id=np.int32(0), schedule_hash="b"
        )
        out.append(df)
    return out


def main() -> dict[str, object]:
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    config = FeatureConfig()
    days = sim_days(book, cal)
    frame = pd.concat(days, ignore_index=True)
    n = len(frame)
    inputs = tick_inputs(frame, 10.0, 5.0)
    kernel_s = best(lambda: compute_matrix(*inputs, config, FactorState.fresh(config)))
    frame_s = best(lambda: compute_features(frame, config, price_tick=10.0, volume_multiple=5.0))

    xs, ts, dk, seg = inputs
    m = min(ONLINE_TICKS, n)
    eng = OnlineFactorEngine(config, price_tick=10.0, volume_multiple=5.0)

    def online_arrays() -> None:
        for i in range(m):
            eng.update_values(xs[i], int(ts[i]), int(dk[i]), int(seg[i]))

    rows = frame.iloc[:m].to_dict("records")

    def online_rows() -> None:
        for r in rows:
            eng.update(r)

    arrays_s = best(online_arrays, 3)
    rows_s = best(online_rows, 3)

    with tempfile.TemporaryDirectory() as tmp:
        lake = ParquetLake(Path(tmp) / "lake_v2", durable=False)
        for day, df in zip(DAYS, days, strict=True):
            lake.write_partition("main_l5", MAIN, day, to_arrow(df, MAIN_L5_SCHEMA))
        t0 = time.perf_counter()
        build_features(lake, MAIN, book=book, config=config)
        build_s = time.perf_counter() - t0
    result: dict[str, object] = {
        "machine": platform.processor() or platform.machine(),
        "cpus_visible": os.cpu_count(),
        "python": platform.python_version(),
        "numba_threads": int(os.environ["NUMBA_NUM_THREADS"]),
        "factors": len(factor_specs(config)),
        "ticks": n,
        "days": len(np.unique(day_keys(frame["trading_day"]))),
        "batch_kernel_ticks_per_s": round(n / kernel_s),
        "batch_frame_to_frame_ticks_per_s": round(n / frame_s),
        "online_update_values_us_per_tick": round(arrays_s / m * 1e6, 3),
        "online_update_row_mapping_us_per_tick": round(rows_s / m * 1e6, 3),
        "store_build_ticks_per_s_incl_parquet_io": round(n / build_s),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
