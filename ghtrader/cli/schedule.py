"""``ghtrader main-schedule`` and ``ghtrader main-l5``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ghtrader.cli.common import (
    CliError,
    check_variety,
    emit_json,
    err_console,
    progress_bar,
    run_guarded,
    settings_for,
    writer_locks,
)

VarOpt = Annotated[str, typer.Option(help="variety: cu | au | ag")]
DataDirOpt = Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")]
LockTimeoutOpt = Annotated[
    float | None, typer.Option(help="give up after this many seconds waiting for another writer")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")]


def _check_var(var: str) -> None:
    check_variety(var)


def main_schedule(
    var: VarOpt = "cu",
    source: Annotated[
        str, typer.Option(help="oi (OI rule from stored ticks) | tqsdk (KQ.m@ mapping)")
    ] = "oi",
    threshold: Annotated[
        float, typer.Option(help="switch when another contract's OI exceeds this x main's")
    ] = 1.1,
    start: Annotated[str | None, typer.Option(help="--source tqsdk: first trading day")] = None,
    end: Annotated[str | None, typer.Option(help="--source tqsdk: last trading day")] = None,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compute the main-contract roll schedule of a variety and store it with the data."""

    def body() -> None:
        from ghtrader.market.calendar import TradingCalendar
        from ghtrader.market.contracts import ContractBook
        from ghtrader.schedule.build import ScheduleResult, build_schedule
        from ghtrader.schedule.oi_rule import OiRule
        from ghtrader.store.lake import ParquetLake

        _check_var(var)
        if source not in ("oi", "tqsdk"):
            raise CliError(f"--source must be oi or tqsdk, got {source!r}")
        settings = settings_for(data_dir)
        cal = TradingCalendar.bundled()
        book = ContractBook.load(cal)
        lake = ParquetLake(settings.lake_dir)
        rule = OiRule(threshold=threshold)
        if source == "oi":
            result = build_schedule(lake, var, book, rule)
        else:
            result = _tqsdk_schedule(settings, lake, var, cal, book, rule, start, end)
        assert isinstance(result, ScheduleResult)
        summary = result.summary()
        if json_out:
            emit_json(summary)
            return
        err_console.print(
            f"{var}: {summary['days']} days {summary['first_day']}..{summary['last_day']}, "
            f"{summary['segments']} segments {' -> '.join(summary['contracts'])} (hash {summary['schedule_hash']})"
        )
        for s in summary["switches"]:
            err_console.print(f"  {s['effective']}: -> {s['to']}  ({s['reason']})")

    run_guarded(body)


def _tqsdk_schedule(settings, lake, var, cal, book, rule, start, end):  # noqa: ANN001, ANN202
    """KQ.m@ underlying mapping from TqSdk; falls back to the OI rule (with a warning) if biased."""
    from ghtrader.cli.common import parse_day
    from ghtrader.schedule.build import end_of_day_oi, persist_schedule
    from ghtrader.schedule.oi_rule import compute_schedule
    from ghtrader.sources.tqsdk import tqsdk_schedule
    from ghtrader.sources.tqsdk.api import TqSdkError, credentials_from_settings, tqapi_factory

    if start is None or end is None:
        raise CliError("--source tqsdk needs --start and --end (trading days)")
    days = cal.trading_days(parse_day(start, "--start"), parse_day(end, "--end"))

    def fallback():  # noqa: ANN202
        eod = end_of_day_oi(lake, var, days)
        expiry = {s: d for s in eod["symbol"].unique() if (d := book.get(s).last_trading_day) is not None}
        return compute_schedule(eod, rule, expiry=expiry)

    try:
        factory = tqapi_factory(credentials_from_settings(settings))
        sched = tqsdk_schedule(factory, var, days, cal, book=book, fallback=fallback)
    except TqSdkError as exc:
        raise CliError(str(exc)) from None
    if sched.attrs.get("warning"):
        err_console.print(f"[yellow]warning:[/yellow] {sched.attrs['warning']}")
    meta = {"warning": sched.attrs.get("warning")}
    return persist_schedule(lake, var, sched, source=str(sched.attrs.get("source", "tqsdk")), meta=meta)


def main_l5(
    var: VarOpt = "cu",
    data_dir: DataDirOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Materialize the continuous KQ.m@SHFE.<var> L5 series from the stored schedule."""

    def body() -> None:
        from ghtrader.schedule.build import load_schedule
        from ghtrader.schedule.main_l5 import build_main_l5
        from ghtrader.store.lake import ParquetLake

        _check_var(var)
        settings = settings_for(data_dir)
        lake = ParquetLake(settings.lake_dir)
        n = len(load_schedule(lake, var))
        with writer_locks(lock_timeout), progress_bar(f"main_l5 {var}", n, enabled=not json_out) as advance:
            summary = build_main_l5(lake, var, progress=lambda d: advance(str(d)))
        if json_out:
            emit_json(summary)
        else:
            err_console.print(
                f"{summary['symbol']}: {summary['days']} days, {summary['rows']:,} rows, segments "
                f"{summary['segments']}, contracts {', '.join(summary['contracts_used'])}; "
                f"{summary['partitions_written']} written, {summary['partitions_unchanged']} unchanged"
                + (f"; missing days {summary['missing_days']}" if summary["missing_days"] else "")
            )

    run_guarded(body)
