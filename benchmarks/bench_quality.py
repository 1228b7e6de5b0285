"""Benchmark data quality: ``ghtrader audit`` over 20 trading days of sim cu, GX time per partition.

Run: ``.venv/bin/python benchmarks/bench_quality.py [--front N]`` -> ``benchmarks/results/quality.json``.
Data: the seeded sim lake (ticks -> schedule -> main_l5 -> features -> labels) for 20 cu trading days,
every listed contract by default (``--front N``: only the N nearest contracts), built before timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import tempfile
import time
from pathlib import Path

from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.contracts import ContractBook
from ghtrader.quality.audit import DATASETS, AuditConfig, audit_lake
from ghtrader.quality.readiness import features_ready, labels_ready, main_l5_ready, ticks_ready
from ghtrader.testing.simlake import build_sim_lake

START = dt.date(2025, 3, 3)
N_DAYS = 20
MAIN = "KQ.m@SHFE.cu"
OUT = Path(__file__).resolve().parent / "results" / "quality.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--front", type=int, default=0, help="only the N nearest contracts (0 = all listed)")
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse/build the lake here")
    args = ap.parse_args()
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    days = cal.trading_days(START, START + dt.timedelta(days=60))[:N_DAYS]
    contracts = [s.symbol for s in book.listed("cu", days[0])][: args.front] if args.front else None
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="bench_quality_"))
    t0 = time.perf_counter()
    build_sim_lake(data, start=days[0], end=days[-1], contracts=contracts)
    build_s = time.perf_counter() - t0
    lake = data / "lake_v2"
    runs = data / "runs"

    t0 = time.perf_counter()
    report = audit_lake(lake, AuditConfig(datasets=DATASETS, sidecars=True), calendar=cal, book=book)
    audit_s = time.perf_counter() - t0
    assert report["ok"], report["errors"][:5]
    symbols = sorted(p.name.removeprefix("symbol=") for p in (lake / "ticks").iterdir())

    gx: dict[str, dict[str, float]] = {}
    for name, fn, arg in (
        ("ticks", ticks_ready, symbols),
        ("main_l5", main_l5_ready, MAIN),
        ("features", features_ready, MAIN),
        ("labels", labels_ready, MAIN),
    ):
        t0 = time.perf_counter()
        res = (
            fn(lake, arg, days, runs, calendar=cal)
            if name in ("features", "labels")
            else fn(lake, arg, days, runs, calendar=cal, book=book)
        )
        wall = time.perf_counter() - t0
        n_part = sum(1 for f in Path(res["docs"]).parent.joinpath("validations").rglob("*.html"))
        gx[name] = {
            "partitions": res["partitions_checked"],
            "validations": res["validations"],
            "rows": res["rows"],
            "seconds_total": round(wall, 2),
            "seconds_per_partition": round(res["seconds"] / max(res["partitions_checked"], 1), 3),
            "docs_pages": n_part,
        }
    payload = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "days": [days[0].isoformat(), days[-1].isoformat(), len(days)],
        "contracts": "all listed" if contracts is None else contracts,
        "lake_build_seconds": round(build_s, 1),
        "audit": {
            "seconds": round(audit_s, 2),
            "partitions": report["partitions"],
            "partitions_total": sum(report["partitions"].values()),
        },
        "gx_readiness": gx,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
