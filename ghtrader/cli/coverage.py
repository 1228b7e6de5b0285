"""``ghtrader coverage``: which (symbol, trading day) partitions the lake holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ghtrader.cli.common import check_variety, emit_json, run_guarded, settings_for


def coverage(
    var: Annotated[str | None, typer.Option(help="variety filter: cu | au | ag")] = None,
    dataset: Annotated[str, typer.Option(help="ticks | main_l5")] = "ticks",
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON on stdout")] = False,
) -> None:
    """Print a coverage table: days, rows and no-data days per symbol (from manifests, no data scan)."""

    def body() -> None:
        from ghtrader.live.gaps import GapLog, gaps_path
        from ghtrader.store.coverage import lake_coverage
        from ghtrader.store.lake import ParquetLake

        check_variety(var)
        settings = settings_for(data_dir)
        rows = lake_coverage(ParquetLake(settings.data_dir / "lake_v2"), dataset, var)
        gaps = GapLog(gaps_path(settings.data_dir)).open_gaps() if dataset == "ticks" else []
        for r in rows:  # live-recorder gaps the next batch ingest will backfill
            r["open_gaps"] = sum(g.symbol == r["symbol"] for g in gaps)
            r["gap_days"] = sorted({g.trading_day for g in gaps if g.symbol == r["symbol"]})
        if json_out:
            emit_json({"dataset": dataset, "data_dir": str(settings.data_dir), "symbols": rows})
            return
        table = Table(title=f"{dataset} coverage in {settings.data_dir / 'lake_v2'}")
        for col in ("symbol", "first day", "last day", "days", "no-data days", "rows", "MiB", "open gaps"):
            table.add_column(col, justify="left" if col == "symbol" else "right")
        for r in rows:
            table.add_row(
                r["symbol"],
                str(r["first_day"]),
                str(r["last_day"]),
                str(r["days"]),
                str(r["no_data_days"]),
                f"{r['rows']:,}",
                f"{r['bytes'] / 2**20:.1f}",
                str(r["open_gaps"]),
            )
        total_rows = sum(r["rows"] for r in rows)
        table.caption = f"{len(rows)} symbols, {total_rows:,} rows"
        Console().print(table)

    run_guarded(body)
