"""``ghtrader factors list|report``: the factor library's named sets and its analysis report.

Registered by ``ghtrader.cli.main`` as ``app.add_typer(factors_app, name="factors")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ghtrader.cli.common import emit_json, err_console, parse_day, run_guarded

factors_app = typer.Typer(help="Factor library: named feature sets and the factor analysis report.",
                          no_args_is_help=True)  # fmt: skip

JsonOpt = Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")]


@factors_app.command("list")
def list_factors(
    set_name: Annotated[
        str, typer.Option("--set", help="feature set: core | full | full_x | full_xp")
    ] = "core",
    json_out: JsonOpt = False,
) -> None:
    """Print a feature set's factors with their family and formula line (and the set's hash)."""

    def body() -> None:
        from ghtrader.features.sets import describe_set

        d = describe_set(set_name)
        if json_out:
            emit_json(d)
            return
        from rich.table import Table

        t = Table("factor", "family", "formula", title=f"{d['set']}: {d['count']} factors, hash {d['hash']}")
        for f in d["factors"]:
            t.add_row(f["name"], f["family"], f["formula"])
        err_console.print(t)
        err_console.print(", ".join(f"{k} {v}" for k, v in sorted(d["families"].items())))

    run_guarded(body)


@factors_app.command("report")
def report(
    var: Annotated[str, typer.Option(help="cu | au | ag (symbol KQ.m@SHFE.<var>)")] = "cu",
    start: Annotated[str | None, typer.Option(help="first trading day (default: first stored)")] = None,
    end: Annotated[str | None, typer.Option(help="last trading day (default: last stored)")] = None,
    set_name: Annotated[
        str, typer.Option("--set", help="feature set: core | full | full_x | full_xp")
    ] = "full",
    symbol: Annotated[str | None, typer.Option(help="override the continuous symbol")] = None,
    max_rows: Annotated[int, typer.Option(help="rows sampled for IC / correlations")] = 60_000,
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    runs_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_RUNS_DIR, else ./runs")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Factor analysis (IC / rank-IC per horizon, decay, stability, turnover, clusters, NaN) as HTML + JSON."""

    def body() -> None:
        from ghtrader.config import load_settings
        from ghtrader.features.analysis import AnalysisConfig
        from ghtrader.features.report import factor_report
        from ghtrader.market.calendar import TradingCalendar
        from ghtrader.market.contracts import ContractBook
        from ghtrader.store.lake import ParquetLake

        settings = load_settings(data_dir=data_dir, runs_dir=runs_dir)
        sym = symbol or f"KQ.m@SHFE.{var}"
        summary = factor_report(
            ParquetLake(settings.lake_dir),
            sym,
            start=parse_day(start, "--start") if start else None,
            end=parse_day(end, "--end") if end else None,
            set_name=set_name,
            book=ContractBook.load(TradingCalendar.bundled()),
            runs_dir=settings.runs_dir,
            cfg=AnalysisConfig(max_rows=max_rows),
        )
        if json_out:
            emit_json(summary)
            return
        err_console.print(
            f"{sym}: {summary['count']} factors ({summary['set']}) over {summary['days']} days, "
            f"{summary['ticks']:,} ticks; top: "
            + ", ".join(f"{t['name']} {t['rank_ic']:+.3f}" for t in summary["top"][:5])
        )
        typer.echo(summary["report"])

    run_guarded(body)
