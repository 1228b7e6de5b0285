"""Crash drill: ``kill -9`` the supervised sim trade runner 10 times mid-session, then audit the run.

Run: ``.venv/bin/python benchmarks/bench_trade_crash.py [WORK_DIR]`` -> ``benchmarks/results/trade_crash.json``.
Builds the 8-day sim test lake and a small LightGBM champion under WORK_DIR (reused when present), then
runs ``ghtrader.testing.trade_drill.crash_drill``: the chain must verify, no client order id may repeat
and the account position must equal the sum of the logged fills after every restart.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ghtrader.promotion.registry import champion
from ghtrader.testing.champion import make_champion, train_model
from ghtrader.testing.simlake import shared_test_lake
from ghtrader.testing.trade_drill import crash_drill

OUT = Path(__file__).resolve().parent / "results" / "trade_crash.json"
KILLS = 10


def main() -> None:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ghtrader-crash-"))
    data = shared_test_lake(work)
    runs = work / "runs"
    if champion(runs, "cu") is None:
        make_champion(runs, train_model(data, runs))
    live = work / "live"
    for stale in (live, runs / "trading" / "drill-cu", work / "drill_data"):
        shutil.rmtree(stale, ignore_errors=True)  # a fresh drill every time
    t0 = time.perf_counter()
    res = crash_drill(live, runs, work / "drill_data", kills=KILLS)
    res["wall_s"] = round(time.perf_counter() - t0, 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    if not (res["chain_ok"] and res["reconciled"] and not res["duplicate_order_ids"]):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
