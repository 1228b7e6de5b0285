"""Benchmark the sim source: ticks/s for one main contract-day and for whole variety-days.

Run: ``.venv/bin/python benchmarks/bench_sim.py`` -> writes ``benchmarks/results/sim.json``.
Timings are taken after a warm-up call (numba JIT / cache load excluded).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import time
from pathlib import Path

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.sources.sim import SimSource

DAY = dt.date(2025, 3, 10)
MAIN = "SHFE.cu2504"
REPEATS = 5
OUT = Path(__file__).resolve().parent / "results" / "sim.json"


def _time(fn, repeats: int) -> tuple[float, int]:
    """Best wall time of ``repeats`` calls and the ticks produced per call."""
    best, rows = float("inf"), 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        rows = fn()
        best = min(best, time.perf_counter() - t0)
    return best, rows


def main() -> dict[str, object]:
    cal = TradingCalendar.bundled()
    src = SimSource(cal, ContractBook.load(cal))
    t0 = time.perf_counter()
    src.contract_day(MAIN, DAY)
    warmup = time.perf_counter() - t0

    def one_contract() -> int:
        out = src.contract_day(MAIN, DAY)
        return 0 if out is None else len(out[0])

    main_s, main_rows = _time(one_contract, REPEATS)
    result: dict[str, object] = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "day": DAY.isoformat(),
        "warmup_s": round(warmup, 4),
        "main_contract": {
            "symbol": MAIN,
            "ticks": main_rows,
            "seconds": round(main_s, 4),
            "ticks_per_s": round(main_rows / main_s),
        },
    }
    for var in ("cu", "au", "ag"):
        symbols = src.list_symbols(var, DAY)

        def whole_day(symbols: list[str] = symbols) -> int:
            return sum(len(f) for f in src.fetch_day(symbols, DAY).ticks.values())

        secs, rows = _time(whole_day, 2)
        result[f"{var}_all_contracts"] = {
            "contracts": len(symbols),
            "ticks": rows,
            "seconds": round(secs, 4),
            "ticks_per_s": round(rows / secs),
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
