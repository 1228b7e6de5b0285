"""``ghtrader audit``: verify lake datasets (checksums, schema, manifests, time, sanity, main_l5 vs raw)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ghtrader.cli.common import CliError, emit_json, err_console, run_guarded
from ghtrader.config import load_settings


def audit(
    dataset: Annotated[str, typer.Option(help="ticks | main_l5 | features | labels | all")] = "all",
    symbol: Annotated[
        str | None, typer.Option(help="only this symbol, e.g. SHFE.cu2505 or KQ.m@SHFE.cu")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    runs_dir: Annotated[
        Path | None, typer.Option(help="default: GHTRADER_RUNS_DIR, else <data dir>/runs")
    ] = None,
    run_id: Annotated[
        str | None, typer.Option(help="report name (default: audit-<dataset>-<UTC time>)")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the JSON report on stdout")] = False,
) -> None:
    """Audit the lake; write <runs>/audit/<run_id>.json; exit 0 when clean, 1 naming each bad file."""
    failed = False

    def body() -> None:
        nonlocal failed
        from ghtrader.market.calendar import TradingCalendar
        from ghtrader.market.contracts import ContractBook
        from ghtrader.quality.audit import AuditConfig, audit_lake, select, write_report

        try:
            datasets, sidecars = select(dataset)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        settings = load_settings(data_dir=data_dir, runs_dir=runs_dir)
        if not settings.lake_dir.is_dir():
            raise CliError(f"no lake at {settings.lake_dir}")
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        rid = run_id or f"audit-{dataset}-{stamp}"
        cal = TradingCalendar.bundled()
        config = AuditConfig(datasets=datasets, symbol=symbol, sidecars=sidecars)
        report = audit_lake(settings.lake_dir, config, calendar=cal, book=ContractBook.load(cal))
        # Reports belong with the data they describe, not in whatever directory the shell is in.
        reports = settings.runs_dir if "runs_dir" in settings.model_fields_set else settings.data_dir / "runs"
        path = write_report(report, reports, rid)
        for e in report["errors"]:
            err_console.print(
                f"bad file: {e['file']}: {e['check']}: {e['message']}", highlight=False, soft_wrap=True
            )
        for w in report["warnings"]:
            err_console.print(
                f"warning: {w['file']}: {w['check']}: {w['message']}", highlight=False, soft_wrap=True
            )
        n = sum(report["partitions"].values())
        verdict = "clean" if report["ok"] else f"{len(report['bad_files'])} bad files"
        if report["warnings"]:
            verdict += f", {len(report['warnings'])} warnings"
        if json_out:
            emit_json({**report, "report": str(path)})
        err_console.print(
            f"audit: {n} partitions, {verdict}, {report['seconds']}s; report: {path}",
            highlight=False,
            soft_wrap=True,
        )
        failed = not report["ok"]

    run_guarded(body)
    if failed:
        raise typer.Exit(1)
