"""Where the ``full`` set's batch time goes: ns per tick of the kernel with blocks switched on one by one.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/profile_features.py`` (same ticks and CPU-time
best-of as ``bench_features``). Rows: the core block of ``full`` alone, plus the extended instant
block, plus the tick windows only or the time windows only, then everything.
"""

from __future__ import annotations

import os

os.environ["NUMBA_NUM_THREADS"] = "1"

import dataclasses  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_features import best, sim_days  # noqa: E402

from ghtrader.features import FactorState  # noqa: E402
from ghtrader.features.engine import compute_matrix, tick_inputs  # noqa: E402
from ghtrader.features.sets import feature_set  # noqa: E402
from ghtrader.market.calendar import TradingCalendar  # noqa: E402
from ghtrader.market.contracts import ContractBook  # noqa: E402


def main() -> dict[str, float]:
    cal = TradingCalendar.bundled()
    frame = pd.concat(sim_days(ContractBook.load(cal), cal), ignore_index=True)
    inputs = tick_inputs(frame, 10.0, 5.0)
    full = feature_set("full")
    configs = {
        "core block": dataclasses.replace(full, extended=False, x_tick_windows=(), time_windows_s=()),
        "+ ext instant": dataclasses.replace(full, x_tick_windows=(), time_windows_s=()),
        "+ ext instant + tick windows": dataclasses.replace(full, time_windows_s=()),
        "+ ext instant + time windows": dataclasses.replace(full, x_tick_windows=()),
        "full": full,
    }
    out = {}
    for name, c in configs.items():
        s = best(lambda c=c: compute_matrix(*inputs, c, FactorState.fresh(c)), 3)
        out[name] = round(s / len(frame) * 1e9, 1)
        print(f"{name:30s} {out[name]:8.1f} ns/tick", flush=True)
    return out


if __name__ == "__main__":
    main()
