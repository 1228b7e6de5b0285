"""``ghtrader download --source tqsdk``: historical L5 ticks through TqSdk Pro into the lake.

Credentials are checked before tqsdk is even imported and the connection is opened before any
day is planned, so missing or rejected credentials end the command in seconds with one line.
Every TqSdk failure is re-raised as ``CliError`` (one line, exit 1); days already ingested stay
committed, so rerunning the same command resumes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ghtrader.cli.common import CliError, check_variety, parse_day, progress_bar
from ghtrader.config import Settings


def _days(calendar: Any, start: str | None, end: str | None) -> list[dt.date]:
    if start is None or end is None:
        raise CliError("--source tqsdk needs --start and --end (trading days, YYYY-MM-DD)")
    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    if last < first:
        raise CliError(f"--end {last} is before --start {first}")
    days = calendar.trading_days(first, last)
    if not days:
        raise CliError(f"no trading days between {first} and {last}")
    return days


def _download_tqsdk(
    settings: Settings,
    var: str | None,
    symbol: str | None,
    start: str | None,
    end: str | None,
    overwrite: bool,
    json_out: bool,
    *,
    api_factory: Any = None,
    retry: Any = None,
) -> Any:
    """Download ``--var`` (every listed contract) or one ``--symbol`` for ``start..end``; return an IngestSummary.

    ``api_factory`` / ``retry`` are injection points for tests (default: real TqApi, 4 attempts).
    """
    from ghtrader.market.contracts import ContractBook, variety_of
    from ghtrader.sources.tqsdk.api import TqSdkError, credentials_from_settings, tqapi_factory

    if var is None and symbol is None:
        raise CliError("--source tqsdk needs --var (cu|au|ag) or --symbol")
    try:
        var = var or variety_of(symbol)  # type: ignore[arg-type]
    except ValueError as exc:
        raise CliError(str(exc)) from None
    check_variety(var)
    if symbol is not None and variety_of(symbol) != var:
        raise CliError(f"--symbol {symbol} is not a {var} contract")
    try:
        factory = api_factory or tqapi_factory(credentials_from_settings(settings))
    except TqSdkError as exc:
        raise CliError(str(exc)) from None
    from ghtrader.live.backfill import backfill_plan
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.sources.tqsdk.history import TqSdkSource
    from ghtrader.store.factory import open_store
    from ghtrader.store.ingest import ingest_source_days, plan_symbols

    calendar = TradingCalendar.bundled()
    days = _days(calendar, start, end)
    try:
        book = ContractBook.load(calendar)
        lake = open_store(settings)
        with TqSdkSource(factory, calendar, book, retry=retry) as source:
            source.open()
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
            with progress_bar(f"tqsdk {symbol or var}", len(days), enabled=not json_out) as advance:
                return filled + ingest_source_days(
                    lake,
                    source,
                    plan,
                    calendar=calendar,
                    book=book,
                    quarantine_dir=settings.data_dir / "quarantine",
                    mode="replace" if overwrite else "skip_existing",
                    progress=lambda d, _r: advance(str(d)),
                )
    except TqSdkError as exc:
        raise CliError(str(exc)) from None
