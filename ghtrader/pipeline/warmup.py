"""Compile the numba kernels into their on-disk caches once, at install time (``make setup``).

Every hot loop is ``@njit(cache=True)``: the first process that calls a kernel compiles it (the
sim book, the tick gate, the factor engine, tier 1 and tier 2 take ~20 s together on a 2-core box)
and later processes load the machine code from ``__pycache__``. Without a warm-up that cost lands
on the first ``make demo`` / the first live tick. Trap: numba compiles one specialization per
argument types, so the warm-up runs the real pipeline pieces (2 sim days of one contract, in a
temporary directory) rather than calling kernels with made-up dtypes. Idempotent; a kernel whose
source changed is recompiled by numba itself.

    python -m ghtrader.pipeline.warmup
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WARM_RANGE = (dt.date(2025, 3, 10), dt.date(2025, 3, 11))
WARM_CONTRACT = "SHFE.cu2504"


def warm(tmp: Path) -> dict[str, float]:
    """Run ingest -> main_l5 -> features -> labels -> tier 1 -> tier 2 on a tiny sim lake; seconds per stage."""
    from ghtrader.backtest import run_backtest
    from ghtrader.evaluation.backtest import load_ticks
    from ghtrader.evaluation.tiers import default_tier2, setup_tier2
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook
    from ghtrader.pipeline.simlake import build_sim_lake
    from ghtrader.store.lake import ParquetLake

    took: dict[str, float] = {}
    t0 = time.perf_counter()
    build_sim_lake(tmp, start=WARM_RANGE[0], end=WARM_RANGE[1], contracts=(WARM_CONTRACT,))
    took["lake (sim, gate, features, labels)"] = time.perf_counter() - t0
    book = ContractBook.load(TradingCalendar.bundled())
    ticks = load_ticks(ParquetLake(tmp / "lake_v2"), "KQ.m@SHFE.cu", list(WARM_RANGE), depth=True)
    target = np.where((np.arange(len(ticks)) // 500) % 2 == 0, 1, -1).astype(np.int64)
    t0 = time.perf_counter()
    run_backtest(ticks, target, book=book)
    took["tier 1"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    setup_tier2(ticks, book, default_tier2()).run(target, book)
    took["tier 2"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm_factor_sets(ParquetLake(tmp / "lake_v2"))
    took["factor sets (batch + online)"] = time.perf_counter() - t0
    return took


def warm_factor_sets(lake: object) -> None:
    """Every named factor set, batch and online (the lake build above computes only the default set)."""
    from ghtrader.features import OnlineFactorEngine, compute_features
    from ghtrader.features.sets import FEATURE_SETS, feature_set
    from ghtrader.store.lake import ParquetLake

    assert isinstance(lake, ParquetLake)
    frame = lake.read_day("main_l5", "KQ.m@SHFE.cu", WARM_RANGE[0]).to_pandas().iloc[:2000]
    ts = frame["datetime_ns"].to_numpy(np.int64)
    mid = 0.5 * (frame["bid_price1"].to_numpy(float) + frame["ask_price1"].to_numpy(float))
    for name in FEATURE_SETS:
        config = feature_set(name)
        aux = dict.fromkeys(config.cross, (ts + 1, mid, np.zeros(len(ts), np.int64)))  # any stream compiles
        compute_features(frame, config, price_tick=10.0, volume_multiple=5.0, aux=aux)
        engine = OnlineFactorEngine(config, price_tick=10.0, volume_multiple=5.0)
        for i, row in enumerate(frame.iloc[:50].to_dict("records")):
            for role in config.cross:
                engine.update_aux(role, int(ts[i]) - 1, float(mid[i]))
            engine.update(row)


def main() -> int:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ghtrader-warmup-") as tmp:
        took = warm(Path(tmp))
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in took.items())
    print(f"numba kernels compiled into their caches in {time.perf_counter() - t0:.1f} s ({parts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
