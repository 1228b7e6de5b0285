"""``ghtrader download``: fetch ticks from a source into the store through the quality gate."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ghtrader.cli.common import (
    CliError,
    check_variety,
    emit_json,
    err_console,
    parse_day,
    progress_bar,
    run_guarded,
    settings_for,
    writer_locks,
)
from ghtrader.config import Settings

if TYPE_CHECKING:
    from ghtrader.store.ingest import IngestSummary

SOURCES = ("sim", "csv", "tqsdk")


def download(
    source: Annotated[str, typer.Option(help="sim | csv | tqsdk")] = "sim",
    var: Annotated[str | None, typer.Option(help="variety: cu | au | ag")] = None,
    symbol: Annotated[str | None, typer.Option(help="one contract, e.g. SHFE.cu2505")] = None,
    start: Annotated[str | None, typer.Option(help="first trading day (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option(help="last trading day (YYYY-MM-DD)")] = None,
    path: Annotated[Path | None, typer.Option(help="CSV file (--source csv)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    seed: Annotated[int | None, typer.Option(help="sim seed (default GHTRADER_SIM_SEED)")] = None,
    overwrite: Annotated[bool, typer.Option(help="replace existing partitions")] = False,
    min_kept: Annotated[
        float, typer.Option(help="fail when a (symbol, day) keeps less than this fraction of its rows")
    ] = 0.5,
    lock_timeout: Annotated[
        float | None, typer.Option(help="give up after this many seconds waiting for another writer")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")] = False,
) -> None:
    """Download ticks into the lake: ``--source sim --var cu --start … --end …`` or ``--source csv --path FILE``."""

    def body() -> None:
        if source not in SOURCES:
            raise CliError(f"--source must be one of {', '.join(SOURCES)}, got {source!r}")
        if not 0.0 <= min_kept <= 1.0:
            raise CliError(f"--min-kept must be between 0 and 1, got {min_kept}")
        check_variety(var)
        settings = settings_for(data_dir)
        t0 = time.perf_counter()
        with writer_locks(lock_timeout):
            if source == "csv":
                summary = _download_csv(settings, path, symbol, overwrite, min_kept)
            elif source == "sim":
                summary = _download_sim(
                    settings, var, symbol, start, end, seed, overwrite, json_out, min_kept
                )
            else:
                from ghtrader.cli.download_tqsdk import _download_tqsdk

                summary = _download_tqsdk(settings, var, symbol, start, end, overwrite, json_out)
        payload = {
            "source": source,
            "data_dir": str(settings.data_dir),
            "seconds": round(time.perf_counter() - t0, 3),
        }
        payload |= summary.to_dict()
        problem = _problem(summary, settings.data_dir / "quarantine", min_kept)
        if json_out:
            emit_json(payload)
        if problem is not None:
            raise CliError(problem)
        if not json_out:
            err_console.print(
                f"{source}: {summary.rows_written:,} rows written in {summary.partitions_written} partitions "
                f"({summary.partitions_unchanged + summary.partitions_kept_existing} unchanged, "
                f"{summary.days_skipped} days already complete), {summary.rows_quarantined} rows quarantined, "
                f"{len(summary.symbols)} symbols -> {settings.data_dir / 'lake_v2'}"
            )

    run_guarded(body)


def _problem(summary: IngestSummary, quarantine: Path, min_kept: float) -> str | None:
    """The one line that makes an import fail: nothing stored, a conflict, or a short day."""
    reasons = ", ".join(f"{k}: {v}" for k, v in summary.quarantine_reasons.items())
    if summary.stored_nothing:
        why = f" ({reasons})" if reasons else ""
        return (
            f"nothing written: {summary.rows_in:,} rows read, {summary.rows_quarantined:,} quarantined{why} "
            f"-> {quarantine}"
        )
    if summary.conflicts:
        more = f" and {len(summary.conflicts) - 1} more" if len(summary.conflicts) > 1 else ""
        return (
            f"{summary.conflicts[0]}{more} already stored with rows this import does not contain; "
            "nothing replaced (pass --overwrite to replace)"
        )
    if summary.short_days:
        more = f" (and {len(summary.short_days) - 1} more days)" if len(summary.short_days) > 1 else ""
        return (
            f"partial day: {summary.short_days[0]}{more}, below --min-kept {min_kept:g}; "
            f"the rest went to {quarantine}"
        )
    return None


def _stores(settings: Settings):  # noqa: ANN202 - returns a tuple of market/store objects
    """Calendar, contract book and the canonical store (QuestDB + lake mirror when configured)."""
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook
    from ghtrader.store.factory import open_store

    calendar = TradingCalendar.bundled()
    return calendar, ContractBook.load(calendar), open_store(settings)


def _download_csv(  # noqa: ANN202
    settings: Settings, path: Path | None, symbol: str | None, overwrite: bool, min_kept: float
):
    from ghtrader.sources.csv import read_tick_csv
    from ghtrader.store.ingest import IngestSummary, ingest_frame
    from ghtrader.store.quarantine import quarantine_rows

    if path is None:
        raise CliError("--source csv needs --path FILE")
    calendar, book, lake = _stores(settings)
    ticks, unparsable = read_tick_csv(path, calendar=calendar, symbol=symbol)
    quarantine_dir = settings.data_dir / "quarantine"
    if len(unparsable):
        quarantine_rows(quarantine_dir, "ticks", unparsable, source="csv")
    summary = ingest_frame(
        lake,
        ticks,
        calendar=calendar,
        book=book,
        source="csv",
        quarantine_dir=quarantine_dir,
        mode="replace" if overwrite else "skip_existing",
        min_kept=min_kept,
    )
    reasons = {"unparsable": len(unparsable)} if len(unparsable) else {}
    return summary + IngestSummary(
        rows_in=len(unparsable), rows_quarantined=len(unparsable), quarantine_reasons=reasons
    )


def _download_sim(settings, var, symbol, start, end, seed, overwrite, json_out, min_kept):  # noqa: ANN001, ANN202
    from ghtrader.live.backfill import backfill_plan
    from ghtrader.market.contracts import variety_of
    from ghtrader.sources.sim import SimConfig, SimSource
    from ghtrader.store.ingest import ingest_source_days, plan_symbols

    if var is None and symbol is None:
        raise CliError("--source sim needs --var (cu|au|ag) or --symbol")
    var = var or variety_of(symbol)  # type: ignore[arg-type]
    check_variety(var)
    if symbol is not None and variety_of(symbol) != var:
        raise CliError(f"--symbol {symbol} is not a {var} contract")
    if start is None or end is None:
        raise CliError("--source sim needs --start and --end (trading days, YYYY-MM-DD)")
    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    if last < first:
        raise CliError(f"--end {last} is before --start {first}")
    calendar, book, lake = _stores(settings)
    days = calendar.trading_days(first, last)
    if not days:
        raise CliError(f"no trading days between {first} and {last}")
    source = SimSource(calendar, book, SimConfig(seed=settings.sim_seed if seed is None else seed))
    plan = plan_symbols(source, var, days, only=symbol)
    quarantine = settings.data_dir / "quarantine"
    filled = backfill_plan(
        lake,
        source,
        plan,
        data_dir=settings.data_dir,
        calendar=calendar,
        book=book,
        quarantine_dir=quarantine,
    )
    with progress_bar(f"sim {var}", len(days), enabled=not json_out) as advance:
        return filled + ingest_source_days(
            lake,
            source,
            plan,
            calendar=calendar,
            book=book,
            quarantine_dir=settings.data_dir / "quarantine",
            mode="replace" if overwrite else "skip_existing",
            progress=lambda d, _r: advance(str(d)),
            min_kept=min_kept,
        )
