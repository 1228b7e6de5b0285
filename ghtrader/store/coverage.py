"""Coverage of a store, answered from partition manifests (never a scan of tick data)."""

from __future__ import annotations

from typing import Any

from ghtrader.market.contracts import variety_of
from ghtrader.store.lake import ParquetLake


def lake_coverage(lake: ParquetLake, dataset: str = "ticks", var: str | None = None) -> list[dict[str, Any]]:
    """One row per symbol: first/last trading day, day count, no-data days, rows and bytes."""
    out = []
    for symbol in lake.symbols(dataset):
        if var is not None and variety_of(symbol) != var:
            continue
        days = lake.days(dataset, symbol)
        rows = nbytes = 0
        for day in days:
            m = lake.manifest(dataset, symbol, day)
            if m is not None:
                rows += m.rows
                nbytes += sum(f.bytes for f in m.files)
        out.append(
            {
                "symbol": symbol,
                "first_day": days[0] if days else None,
                "last_day": days[-1] if days else None,
                "days": len(days),
                "no_data_days": len(lake.no_data_days(dataset, symbol)),
                "rows": rows,
                "bytes": nbytes,
            }
        )
    return out
