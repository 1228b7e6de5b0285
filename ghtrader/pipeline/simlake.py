"""Build a small, reproducible sim data lake (ticks -> schedule -> main_l5 -> features -> labels).

Used by the warm-up (``pipeline.warmup``), the model/evaluation/report tests (via
``ghtrader.testing.simlake``) and ``benchmarks/bench_models.py``. Everything is deterministic (seeded
sim), and every step is idempotent, so a second call on the same directory changes nothing. A
``_simlake_done.json`` marker lets callers share one build.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

DONE_MARKER = "_simlake_done.json"


def build_sim_lake(
    data_dir: Path,
    *,
    var: str = "cu",
    start: dt.date,
    end: dt.date,
    contracts: Sequence[str] | None = None,
    seed: int = 20250303,
) -> Path:
    """Build the lake under ``data_dir/lake_v2`` for ``var`` over [start, end]; return ``data_dir``.

    ``contracts`` restricts the ingest (default: every contract listed on each day, which is slower).
    """
    from ghtrader.features.build import build_features
    from ghtrader.labels import build_labels
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook
    from ghtrader.schedule.build import build_schedule
    from ghtrader.schedule.main_l5 import build_main_l5
    from ghtrader.sources.sim import SimConfig, SimSource
    from ghtrader.store.ingest import ingest_source_days
    from ghtrader.store.lake import ParquetLake

    data_dir = Path(data_dir)
    marker = data_dir / DONE_MARKER
    wanted = {
        "var": var,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "seed": seed,
        "contracts": list(contracts) if contracts else None,
    }
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return data_dir
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    lake = ParquetLake(data_dir / "lake_v2")
    src = SimSource(cal, book, SimConfig(seed=seed))
    days = cal.trading_days(start, end)
    plan = {d: list(contracts) if contracts else src.list_symbols(var, d) for d in days}
    ingest_source_days(lake, src, plan, calendar=cal, book=book, quarantine_dir=data_dir / "quarantine")
    build_schedule(lake, var, book)
    build_main_l5(lake, var)
    symbol = f"KQ.m@SHFE.{var}"
    build_features(lake, symbol, book=book)
    build_labels(lake, symbol, book=book)
    data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(wanted))
    return data_dir
