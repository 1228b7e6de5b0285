"""Materialize the continuous main series ``KQ.m@SHFE.<var>`` with depth (main_l5).

88-style splice without price adjustment: each trading day takes the L5 ticks of that day's main
contract unchanged and adds ``underlying_contract``, ``segment_id`` and ``schedule_hash``. The hash
on a row covers the schedule *up to that day*, so extending the schedule with new days leaves
earlier partitions byte-identical, while any change to history changes every later hash.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from ghtrader.schedule.build import load_schedule, schedule_dir
from ghtrader.schedule.oi_rule import schedule_hash
from ghtrader.schema import MAIN_L5_SCHEMA
from ghtrader.store.base import WriteMode
from ghtrader.store.files import atomic_write
from ghtrader.store.lake import ParquetLake


def continuous_symbol(var: str, exchange: str = "SHFE") -> str:
    return f"KQ.m@{exchange}.{var}"


def splice_day(ticks: pa.Table, symbol: str, underlying: str, segment_id: int, sched_hash: str) -> pa.Table:
    """One main_l5 partition: the underlying's ticks verbatim plus the three provenance columns."""
    n = ticks.num_rows
    cols = {name: ticks[name] for name in ticks.schema.names}
    cols["symbol"] = pa.array([symbol] * n, pa.string())
    cols["underlying_contract"] = pa.array([underlying] * n, pa.string())
    cols["segment_id"] = pa.array([segment_id] * n, pa.int32())
    cols["schedule_hash"] = pa.array([sched_hash] * n, pa.string())
    return pa.Table.from_arrays([cols[f.name] for f in MAIN_L5_SCHEMA], schema=MAIN_L5_SCHEMA)


def build_main_l5(
    lake: ParquetLake,
    var: str,
    *,
    mode: WriteMode = "replace",
    progress: Callable[[dt.date], None] | None = None,
) -> dict[str, Any]:
    """Write main_l5 partitions for every scheduled day whose main contract is in the store."""
    sched = load_schedule(lake, var)
    symbol = continuous_symbol(var)
    rows_per_day: dict[str, int] = {}
    missing: list[str] = []
    written = unchanged = 0
    for i, row in enumerate(sched.itertuples(index=False)):
        day, main = row.trading_day, row.main_contract
        prefix_hash = schedule_hash(sched.iloc[: i + 1])
        if not lake.has_partition("ticks", main, day):
            missing.append(day.isoformat())
        else:
            table = splice_day(
                lake.read_day("ticks", main, day), symbol, main, int(row.segment_id), prefix_hash
            )
            info = lake.write_partition("main_l5", symbol, day, table, mode=mode)
            written += int(info.changed)
            unchanged += int(not info.changed)
            rows_per_day[day.isoformat()] = table.num_rows
        if progress is not None:
            progress(day)
    full_hash = schedule_hash(sched)
    provenance = {
        "symbol": symbol,
        "var": var,
        "schedule_hash": full_hash,
        "schedule": [
            {
                "trading_day": r.trading_day.isoformat(),
                "main_contract": r.main_contract,
                "segment_id": int(r.segment_id),
            }
            for r in sched.itertuples(index=False)
        ],
        "schedule_file": str(schedule_dir(lake, var) / "schedule.parquet"),
        "contracts_used": sorted(set(sched["main_contract"])),
        "rows_per_day": rows_per_day,
        "missing_days": missing,
    }
    out = lake.symbol_dir("main_l5", symbol)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "_provenance.json", (json.dumps(provenance, indent=1) + "\n").encode())
    return {
        "symbol": symbol,
        "schedule_hash": full_hash,
        "days": len(rows_per_day),
        "rows": sum(rows_per_day.values()),
        "partitions_written": written,
        "partitions_unchanged": unchanged,
        "segments": sorted({int(s) for s in sched["segment_id"]}),
        "contracts_used": provenance["contracts_used"],
        "missing_days": missing,
    }
