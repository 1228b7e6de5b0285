"""Where the ``full`` set's batch time goes: ns per tick of the kernel with blocks switched on one by one.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/profile_features.py`` (same ticks and CPU-time
best-of as ``bench_features``). Rows: the core block of ``full`` alone, plus the extended instant
block, plus the tick windows only or the time windows only, then everything (``compute_matrix``, a
fresh output each call). Then the kernel alone writing into a reused output array (the difference is
allocating and first touching the fresh output), and into a reused 2,000-tick output fed in chunks
(the output then stays in cache: what is left of the difference is the kernel's own memory traffic).
"""

from __future__ import annotations

import os

os.environ["NUMBA_NUM_THREADS"] = "1"

import dataclasses  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_features import best, sim_days  # noqa: E402

from ghtrader.features import FactorState  # noqa: E402
from ghtrader.features import kernels as K  # noqa: E402
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
    xs, ts, day, seg = inputs
    p = full.params()
    nk = K.sizes(p)[5]
    n = len(frame)
    for name, m in (("full, kernel, reused output", n), ("full, kernel, 2,000-tick chunks", 2000)):
        buf = np.empty((m, nk))
        whole = n // m * m

        def chunks(m: int = m, buf: np.ndarray = buf, whole: int = whole) -> None:
            st = FactorState.fresh(full)
            for a in range(0, whole, m):
                sl = slice(a, a + m)
                K.run(xs[sl], ts[sl], day[sl], seg[sl], p, st.sf, st.si, buf)

        out[name] = round(best(chunks, 3) / whole * 1e9, 1)
        print(f"{name:30s} {out[name]:8.1f} ns/tick", flush=True)
    return out


if __name__ == "__main__":
    main()
