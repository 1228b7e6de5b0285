"""Build a lake from the real SHFE L5 fixture (``../shared/data/real``): ticks -> schedule -> main_l5 ->
features -> labels, through the same library calls as ``ghtrader download --source csv`` and the
pipeline. One trading day (2019-09-12) of 200 cu1909 snapshots; used by ``benchmarks/bench_models.py``
and the real-data tests (which skip when the fixture folder is absent). Idempotent: a marker file
lets a second call return at once.
"""

from __future__ import annotations

import json
from pathlib import Path

from ghtrader.testing import real_tick_csv

DONE_MARKER = "_reallake_done.json"
SYMBOL = "KQ.m@SHFE.cu"


def build_real_lake(data_dir: Path, real_root: Path) -> Path:
    """Build ``data_dir/lake_v2`` from the real cu1909 tick fixture under ``real_root``; return ``data_dir``."""
    from ghtrader.features.build import build_features
    from ghtrader.labels import build_labels
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook
    from ghtrader.schedule.build import build_schedule
    from ghtrader.schedule.main_l5 import build_main_l5
    from ghtrader.sources.csv import read_tick_csv
    from ghtrader.store.ingest import ingest_frame
    from ghtrader.store.lake import ParquetLake

    data_dir = Path(data_dir)
    src = real_tick_csv(real_root)
    marker = data_dir / DONE_MARKER
    wanted = {"fixture": src.name, "size": src.stat().st_size}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return data_dir
    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    lake = ParquetLake(data_dir / "lake_v2")
    ticks, unparsable = read_tick_csv(src, calendar=cal)
    if len(unparsable):
        raise ValueError(f"{src}: {len(unparsable)} unparsable rows in the real fixture")
    ingest_frame(lake, ticks, calendar=cal, book=book, source="csv", quarantine_dir=data_dir / "quarantine")
    build_schedule(lake, "cu", book)
    build_main_l5(lake, "cu")
    build_features(lake, SYMBOL, book=book)
    build_labels(lake, SYMBOL, book=book)
    marker.write_text(json.dumps(wanted))
    return data_dir
