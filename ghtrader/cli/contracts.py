"""``ghtrader contracts --var cu``: the contract catalog with store coverage per contract.

Online (TqSdk credentials set and the service reachable) the contract service is merged in;
offline the bundled pre-2020 file and the local store still answer, and the output says which
sources were used and why the service was not.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ghtrader.cli.common import check_variety, emit_json, err_console, run_guarded, settings_for


def _service(settings: Any, var: str, offline: bool, api_factory: Any) -> tuple[Any, str | None]:
    """(symbol -> last trading day from the contract service, or None; note why not)."""
    from ghtrader.sources.tqsdk.api import TqSdkError, credentials_from_settings, tqapi_factory
    from ghtrader.sources.tqsdk.catalog import fetch_service_contracts

    if offline:
        return None, "contract service skipped (--offline)"
    try:
        factory = api_factory or tqapi_factory(credentials_from_settings(settings))
        api = factory()
    except TqSdkError as exc:
        return None, f"contract service not used: {exc}"
    try:
        return fetch_service_contracts(api, var), None
    except Exception as exc:  # noqa: BLE001 - offline fallback is the documented behaviour
        return None, f"contract service failed ({type(exc).__name__}: {str(exc)[:200]}); offline catalog"
    finally:
        api.close()


def contract_catalog(settings: Any, var: str, *, offline: bool = False, api_factory: Any = None) -> Any:
    """The merged catalog of ``var`` (``ghtrader.sources.tqsdk.catalog.Catalog``); tests inject ``api_factory``."""
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook
    from ghtrader.sources.tqsdk.catalog import build_catalog
    from ghtrader.store.lake import ParquetLake

    check_variety(var)
    calendar = TradingCalendar.bundled()
    service, note = _service(settings, var, offline, api_factory)
    return build_catalog(
        var,
        book=ContractBook.load(calendar),
        lake=ParquetLake(settings.data_dir / "lake_v2"),
        today=dt.date.today(),
        service=service,
        notes=(note,) if note else (),
    )


def contracts(
    var: Annotated[str, typer.Option(help="variety: cu | au | ag")] = "cu",
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the catalog as JSON on stdout")] = False,
    offline: Annotated[bool, typer.Option(help="do not contact the TqSdk contract service")] = False,
) -> None:
    """List every contract of a variety (expired included) with the days stored per contract."""

    def body() -> None:
        catalog = contract_catalog(settings_for(data_dir), var, offline=offline)
        if json_out:
            emit_json(catalog.to_dict())
            return
        table = Table(title=f"{var} contracts ({len(catalog.entries)})")
        for col in ("symbol", "last trading day", "expired", "sources", "days stored", "range", "no-data"):
            table.add_column(col, no_wrap=True)
        for e in catalog.entries:
            span = f"{e.first_day}..{e.last_day}" if e.first_day else ""
            table.add_row(
                e.symbol,
                str(e.last_trading_day or ""),
                "yes" if e.expired else "",
                ",".join(e.sources),
                str(e.days_in_store),
                span,
                str(e.no_data_days),
            )
        Console(width=max(Console().width, 120)).print(table)  # pipes default to 80 columns
        err_console.print(f"sources used: {', '.join(catalog.sources_used) or 'none'}")
        for n in catalog.notes:
            err_console.print(n, highlight=False)

    run_guarded(body)
