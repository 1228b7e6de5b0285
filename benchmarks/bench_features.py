"""Benchmark the factor engine on one core, per named set (core, full): batch ticks/s and values/s,
the speed-up over the straightforward pandas implementation of the same factors on the same ticks,
and the online per-tick latency distribution (p50/p99/p99.9).

Run: ``.venv/bin/python benchmarks/bench_features.py`` -> writes ``benchmarks/results/features.json``.
Numba runs single-threaded (``NUMBA_NUM_THREADS=1``, no ``parallel``). After a warm-up call (JIT /
cache load excluded) the kernel (``REPEATS`` calls per round), frame->frame and the pandas reference
take turns over ``PANDAS_ROUNDS`` rounds and each keeps its best, measured as this thread's CPU time
(``time.thread_time``) so other processes' time slices do not count; the speed-up is the ratio of the
bests, and ``speedup_per_round_min_median_max`` the spread of the ratio within each round. On the
shared 2-core VM the pandas side's best varied 1.9x between runs of the same code a few hours apart,
the kernel's 1.2x, so read the ratio with its spread. The online latency percentiles are wall-clock
per tick (p50/p99 are robust to preemption, the max is not). Input: three sim cu main-contract days.
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
from ghtrader.features.sets import FEATURE_SETS, feature_set  # noqa: E402
from ghtrader.market.calendar import TradingCalendar  # noqa: E402
from ghtrader.market.contracts import ContractBook  # noqa: E402
from ghtrader.schema import MAIN_L5_SCHEMA, to_arrow  # noqa: E402
from ghtrader.sources.sim import SimSource  # noqa: E402
from ghtrader.store.lake import ParquetLake  # noqa: E402
from ghtrader.testing.pandas_factors import pandas_features  # noqa: E402

CONTRACT = "SHFE.cu2504"
NEXT = "SHFE.cu2505"
MAIN = "KQ.m@SHFE.cu"
DAYS = [dt.date(2025, 3, 10), dt.date(2025, 3, 11), dt.date(2025, 3, 12)]
REPEATS = 5
PANDAS_ROUNDS = 6
ONLINE_TICKS = 50_000
OUT = Path(__file__).resolve().parent / "results" / "features.json"


def best(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return min(times)


def best_interleaved(fns: list[Callable[[], object]], per_round: list[int]) -> list[list[float]]:
    """Per round, the best thread-CPU time of each ``fn`` over its ``per_round[i]`` calls (``PANDAS_ROUNDS`` rounds)."""
    for fn in fns:
        fn()
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(PANDAS_ROUNDS):
        for i, (fn, k) in enumerate(zip(fns, per_round, strict=True)):
            times = []
            for _ in range(k):
                t0 = time.thread_time()
                fn()
                times.append(time.thread_time() - t0)
            out[i].append(min(times))
    return out


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


def sim_aux(book: ContractBook, cal: TradingCalendar) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The next contract's ticks over the same days: the ``next`` aux stream of ``full_x``."""
    src = SimSource(cal, book)
    days = [got[0] for day in DAYS if (got := src.contract_day(NEXT, day)) is not None]
    df = pd.concat(days, ignore_index=True)
    mid = 0.5 * (df["bid_price1"].to_numpy(float) + df["ask_price1"].to_numpy(float))
    return df["datetime_ns"].to_numpy(np.int64), mid, np.zeros(len(df), np.int64)


def bench_cross(frame: pd.DataFrame, inputs: tuple, aux: tuple) -> dict[str, object]:
    """``full_x`` (full + 9 factors against the next contract): batch with the aux stream merged in,
    taking turns with ``full`` so the cross block's cost is read off the same moments of the host."""
    config, full = feature_set("full_x"), feature_set("full")
    n, k = len(frame), len(factor_specs(config))
    streams = {"next": aux}
    full_r, cross_r = best_interleaved(
        [
            lambda: compute_matrix(*inputs, full, FactorState.fresh(full)),
            lambda: compute_matrix(*inputs, config, FactorState.fresh(config), streams),
        ],
        [REPEATS, REPEATS],
    )
    kernel_s = min(cross_r)
    return {
        "set": "full_x",
        "hash": config.hash,
        "factors": k,
        "aux_ticks": len(aux[0]),
        "batch_kernel_ticks_per_s": round(n / kernel_s),
        "batch_kernel_values_per_s": round(n * k / kernel_s),
        "full_in_the_same_rounds_ticks_per_s": round(n / min(full_r)),
        "cross_block_ns_per_tick": round((kernel_s - min(full_r)) / n * 1e9, 1),
    }


def online_latency(eng: OnlineFactorEngine, inputs: tuple, m: int) -> dict[str, float]:
    """Per-tick ``update_values`` latency distribution (µs) over ``m`` ticks (after a warm-up pass)."""
    xs, ts, dk, seg = inputs
    lat = np.empty(m, dtype=np.int64)
    clock = time.perf_counter_ns
    for i in range(m):
        t0 = clock()
        eng.update_values(xs[i], int(ts[i]), int(dk[i]), int(seg[i]))
        lat[i] = clock() - t0
    us = lat / 1e3
    return {
        "mean": round(float(us.mean()), 3),
        "p50": round(float(np.percentile(us, 50)), 3),
        "p99": round(float(np.percentile(us, 99)), 3),
        "p999": round(float(np.percentile(us, 99.9)), 3),
        "max": round(float(us.max()), 3),
    }


def bench_set(name: str, frame: pd.DataFrame, inputs: tuple) -> dict[str, object]:
    config = feature_set(name)
    n = len(frame)
    k = len(factor_specs(config))
    # kernel, frame->frame and pandas take turns (PANDAS_ROUNDS rounds after a warm-up, best of each):
    # on a shared VM the time stolen by the host comes in bursts, and timing one side in a quiet
    # moment and the other in a busy one would move the ratio by 2x either way
    kernel_r, frame_r, pandas_r = best_interleaved(
        [
            lambda: compute_matrix(*inputs, config, FactorState.fresh(config)),
            lambda: compute_features(frame, config, price_tick=10.0, volume_multiple=5.0),
            lambda: pandas_features(frame, config, price_tick=10.0, mult=5.0),
        ],
        [REPEATS, 2, 1],
    )
    kernel_s, frame_s, pandas_s = min(kernel_r), min(frame_r), min(pandas_r)
    # the ratio within each round (both sides timed minutes apart at most): its spread is the host's
    per_round = sorted(p / k for p, k in zip(pandas_r, kernel_r, strict=True))
    m = min(ONLINE_TICKS, n)
    eng = OnlineFactorEngine(config, price_tick=10.0, volume_multiple=5.0)
    online_latency(eng, inputs, m)  # warm-up (JIT, caches); then measure on a fresh engine
    eng = OnlineFactorEngine(config, price_tick=10.0, volume_multiple=5.0)
    lat = online_latency(eng, inputs, m)
    rows = frame.iloc[:m].to_dict("records")
    eng = OnlineFactorEngine(config, price_tick=10.0, volume_multiple=5.0)

    def online_rows() -> None:
        for r in rows:
            eng.update(r)

    rows_s = best(online_rows, 1)
    fams: dict[str, int] = {}
    for s in factor_specs(config):
        fams[s.family] = fams.get(s.family, 0) + 1
    return {
        "set": name,
        "hash": config.hash,
        "factors": k,
        "families": fams,
        "batch_kernel_ticks_per_s": round(n / kernel_s),
        "batch_kernel_values_per_s": round(n * k / kernel_s),
        "batch_frame_to_frame_ticks_per_s": round(n / frame_s),
        "pandas_reference_ticks_per_s": round(n / pandas_s),
        "speedup_kernel_vs_pandas": round(pandas_s / kernel_s, 1),
        "speedup_per_round_min_median_max": [
            round(per_round[0], 1),
            round(float(np.median(per_round)), 1),
            round(per_round[-1], 1),
        ],
        "online_update_values_us": lat,
        "online_update_row_mapping_us_per_tick": round(rows_s / m * 1e6, 3),
    }


def store_build_s(book: ContractBook, days: list[pd.DataFrame], config: FeatureConfig) -> float:
    """Wall seconds of the store-backed build (read main_l5, compute, write Parquet + state + lineage), best of 2."""
    times = []
    for _ in range(2):
        with tempfile.TemporaryDirectory() as tmp:
            lake = ParquetLake(Path(tmp) / "lake_v2", durable=False)
            for day, df in zip(DAYS, days, strict=True):
                lake.write_partition("main_l5", MAIN, day, to_arrow(df, MAIN_L5_SCHEMA))
            t0 = time.perf_counter()
            build_features(lake, MAIN, book=book, config=config)
            times.append(time.perf_counter() - t0)
    return min(times)


def main() -> dict[str, object]:
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    days = sim_days(book, cal)
    frame = pd.concat(days, ignore_index=True)
    n = len(frame)
    inputs = tick_inputs(frame, 10.0, 5.0)
    sets = {name: bench_set(name, frame, inputs) for name in FEATURE_SETS if not feature_set(name).cross}
    sets["full_x"] = bench_cross(frame, inputs, sim_aux(book, cal))
    build_s = {
        name: store_build_s(book, days, config)
        for name, config in (("core", FeatureConfig()), ("full", feature_set("full")))
    }
    core = sets["core"]
    result: dict[str, object] = {
        "machine": platform.processor() or platform.machine(),
        "cpus_visible": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "numba_threads": int(os.environ["NUMBA_NUM_THREADS"]),
        "ticks": n,
        "days": len(np.unique(day_keys(frame["trading_day"]))),
        "sets": sets,
        # the core figures under their historical names (README, earlier results)
        "factors": core["factors"],
        "batch_kernel_ticks_per_s": core["batch_kernel_ticks_per_s"],
        "batch_frame_to_frame_ticks_per_s": core["batch_frame_to_frame_ticks_per_s"],
        "online_update_values_us_per_tick": core["online_update_values_us"]["mean"],  # type: ignore[index]
        "online_update_row_mapping_us_per_tick": core["online_update_row_mapping_us_per_tick"],
        "store_build_ticks_per_s_incl_parquet_io": round(n / build_s["core"]),
        # ``ghtrader build`` of the full set: the kernel is a small part; zstd-encoding 226 float64
        # columns into Parquet (and splitting the row-major matrix into columns) is most of it
        "store_build_full_ticks_per_s_incl_parquet_io": round(n / build_s["full"]),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
