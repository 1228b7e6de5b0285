"""``ghtrader db …``: QuestDB table creation, health check and lake <-> QuestDB repair.

Registered by ``ghtrader.cli.main`` as ``app.add_typer(db_app, name="db")``. Every command needs
``GHTRADER_QUESTDB_HOST`` (or ``--host``); a down server is one stderr line and exit 1, and with
``--json`` stdout still gets one JSON object (``{"ok": false, "error": ...}``). Trap: typer's and
click's ``Exit`` are ``RuntimeError``s, so the server-error handler must let them pass untouched
(otherwise a deliberate ``Exit(1)`` is re-reported as ``error: 1``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import click
import typer

from ghtrader.cli.common import (
    CliError,
    check_variety,
    emit_json,
    err_console,
    parse_day,
    run_guarded,
    settings_for,
)
from ghtrader.config import Settings
from ghtrader.store.questdb.conn import DEFAULT_PREFIX

db_app = typer.Typer(help="QuestDB canonical store: init, health, sync with the lake.", no_args_is_help=True)

HostOpt = Annotated[str | None, typer.Option(help="QuestDB host (default: GHTRADER_QUESTDB_HOST)")]
DataDirOpt = Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")]
PrefixOpt = Annotated[str, typer.Option(help="table name prefix (tests use their own)")]


def _settings(host: str | None, data_dir: Path | None = None) -> Settings:
    settings = settings_for(data_dir)
    if host is not None:
        settings = settings.model_copy(update={"questdb_host": host})
    if not settings.questdb_host:
        raise CliError("QuestDB is not configured: set GHTRADER_QUESTDB_HOST (or pass --host)")
    return settings


def _guarded(fn: Callable[[], None], json_out: bool = False) -> None:
    """``run_guarded`` plus server failures (unreachable, WAL suspended, timeouts) as one line."""

    def body() -> None:
        try:
            fn()
        except (typer.Exit, click.exceptions.Exit):
            raise
        except (CliError, ConnectionError, TimeoutError, RuntimeError, ValueError, OSError) as exc:
            if json_out:
                emit_json({"ok": False, "error": str(exc)})
            raise CliError(str(exc)) from None

    run_guarded(body)


@db_app.command("questdb-init")
def questdb_init(
    host: HostOpt = None, table_prefix: PrefixOpt = DEFAULT_PREFIX, json_out: JsonOpt = False
) -> None:
    """Create the QuestDB tables (ticks, main_l5, schedule, coverage index, no-data); safe to re-run."""

    def body() -> None:
        from ghtrader.store.questdb.backend import QuestDbStore
        from ghtrader.store.questdb.conn import QuestDbConfig

        config = QuestDbConfig.from_settings(_settings(host), table_prefix=table_prefix)
        with QuestDbStore(config) as store:
            names = store.init_tables()
        if json_out:
            emit_json({"ok": True, "tables": names, "server": config.describe()})
        else:
            err_console.print(f"{config.describe()}: tables ready: {', '.join(names)}")

    _guarded(body, json_out)


@db_app.command("questdb-health")
def questdb_health(
    host: HostOpt = None,
    table_prefix: PrefixOpt = DEFAULT_PREFIX,
    json_out: JsonOpt = False,
    require_tables: Annotated[
        bool, typer.Option(help="fail (exit 1) when a table is missing; off while waiting to init")
    ] = True,
) -> None:
    """Check an authenticated ILP/HTTP no-op write and a PGWire login, the version and the tables."""

    def body() -> None:
        from ghtrader.store.questdb.conn import QuestDbConfig
        from ghtrader.store.questdb.health import check_health

        config = QuestDbConfig.from_settings(_settings(host), table_prefix=table_prefix)
        report = check_health(config, require_tables=require_tables)
        if json_out:
            emit_json(report.to_dict())
        else:
            mark = {True: "ok  ", False: "FAIL"}
            err_console.print(f"{mark[report.ilp_ok]} ILP/HTTP {report.ilp_addr}: {report.ilp_detail}")
            err_console.print(f"{mark[report.pg_ok]} PGWire   {report.pg_addr}: {report.pg_detail}")
            if report.version:
                err_console.print(f"     version: {report.version}")
            missing = [n for n, ok in report.tables.items() if not ok]
            if report.pg_ok:
                err_console.print(
                    f"     tables: {len(report.tables) - len(missing)}/{len(report.tables)} present"
                    + (f"; missing {', '.join(missing)} (run `ghtrader db questdb-init`)" if missing else "")
                )
        if not report.ok:
            if not json_out:
                err_console.print(f"[red]unhealthy:[/red] {'; '.join(report.problems())}", highlight=False)
            raise typer.Exit(1)

    _guarded(body, json_out)


@db_app.command("sync")
def sync(
    start: Annotated[str, typer.Option(help="first trading day (YYYY-MM-DD)")],
    end: Annotated[str, typer.Option(help="last trading day (YYYY-MM-DD)")],
    symbol: Annotated[str | None, typer.Option(help="one contract, e.g. SHFE.cu2505")] = None,
    var: Annotated[str | None, typer.Option(help="every symbol of a variety (cu | au | ag)")] = None,
    dataset: Annotated[str, typer.Option(help="ticks | main_l5")] = "ticks",
    prefer: Annotated[
        str, typer.Option(help="who wins same-size differing days: questdb | lake")
    ] = "questdb",
    deep: Annotated[bool, typer.Option(help="compare contents of equal-size days by digest")] = False,
    dry_run: Annotated[bool, typer.Option(help="report what would be repaired, change nothing")] = False,
    host: HostOpt = None,
    table_prefix: PrefixOpt = DEFAULT_PREFIX,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Repair QuestDB from the lake and the lake from QuestDB for ``--symbol`` (or ``--var``) in a range."""

    def body() -> None:
        from ghtrader.market.contracts import variety_of
        from ghtrader.store.lake import ParquetLake
        from ghtrader.store.questdb.backend import QuestDbStore
        from ghtrader.store.questdb.conn import QuestDbConfig
        from ghtrader.store.questdb.sync import Prefer, sync_symbol

        if (symbol is None) == (var is None):
            raise CliError("pass exactly one of --symbol or --var")
        check_variety(var)
        if prefer not in ("questdb", "lake"):
            raise CliError(f"--prefer must be questdb or lake, got {prefer!r}")
        side: Prefer = "lake" if prefer == "lake" else "questdb"
        first, last = parse_day(start, "--start"), parse_day(end, "--end")
        if last < first:
            raise CliError(f"--end {last} is before --start {first}")
        settings = _settings(host, data_dir)
        lake = ParquetLake(settings.lake_dir)
        config = QuestDbConfig.from_settings(settings, table_prefix=table_prefix)
        with QuestDbStore(config) as store:
            if symbol is not None:
                symbols = [symbol]
            else:
                both = set(store.symbols(dataset)) | set(lake.symbols(dataset))
                symbols = sorted(s for s in both if variety_of(s) == var)
            reports = [
                sync_symbol(store, lake, dataset, s, first, last, prefer=side, deep=deep, dry_run=dry_run)
                for s in symbols
            ]
        if json_out:
            emit_json({"ok": True, "dry_run": dry_run, "reports": [r.to_dict() for r in reports]})
            return
        for r in reports:
            err_console.print(
                f"{r.symbol}: {r.days_checked} days checked, {len(r.actions)} repaired"
                f"{' (dry run)' if dry_run else ''}; no-data -> QuestDB {len(r.no_data_to_questdb)}, "
                f"-> lake {len(r.no_data_to_lake)}"
            )
            for a in r.actions:
                err_console.print(f"  {a.trading_day} {a.action}: {a.reason}")

    _guarded(body, json_out)
