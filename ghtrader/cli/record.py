"""``ghtrader record``: the live tick recorder in the foreground (supervisord runs it as ``recorder``).

Every option also reads a ``GHTRADER_RECORD_*`` variable, so the one supervisord program definition
(``command=ghtrader record``) is configured by the environment supervisord starts with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ghtrader.cli.common import CliError, check_variety, run_guarded, settings_for


def record(
    source: Annotated[str, typer.Option(envvar="GHTRADER_RECORD_SOURCE", help="sim | tqsdk")] = "sim",
    var: Annotated[
        str, typer.Option(envvar="GHTRADER_RECORD_VAR", help="varieties, comma-separated")
    ] = "cu,au,ag",
    symbols: Annotated[
        str | None,
        typer.Option(envvar="GHTRADER_RECORD_SYMBOLS", help="only these contracts (comma-separated)"),
    ] = None,
    flush_s: Annotated[float, typer.Option(envvar="GHTRADER_RECORD_FLUSH_S", help="flush interval, s")] = 2.0,
    flush_groups: Annotated[
        int,
        typer.Option(
            envvar="GHTRADER_RECORD_FLUSH_GROUPS",
            help="timer flushes staggered over this many symbol groups (each partition still every --flush-s)",
        ),
    ] = 4,
    start_at: Annotated[
        str | None,
        typer.Option(
            envvar="GHTRADER_RECORD_START_AT", help="sim: virtual start, CST, e.g. 2025-03-03T21:00"
        ),
    ] = None,
    speed: Annotated[
        float, typer.Option(envvar="GHTRADER_RECORD_SPEED", help="sim: session seconds per wall second")
    ] = 1.0,
    port: Annotated[
        int,
        typer.Option(envvar="GHTRADER_RECORDER_PORT", help="/healthz + /metrics port on 127.0.0.1 (0: any)"),
    ] = 9108,
    stale_s: Annotated[
        float, typer.Option(envvar="GHTRADER_RECORD_STALE_S", help="unhealthy after this long without a tick")
    ] = 60.0,
    run_dir: Annotated[
        Path | None,
        typer.Option(envvar="GHTRADER_LIVE_DIR", help="heartbeat/clock dir (default runs/daemons)"),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
) -> None:
    """Record live ticks into the lake until SIGTERM (final flush, exit 0)."""
    code = 0

    def body() -> None:
        nonlocal code
        from ghtrader.live.service import RecordOptions, parse_list, run_record, varieties_of
        from ghtrader.market.calendar import TradingCalendar
        from ghtrader.market.contracts import ContractBook
        from ghtrader.store.lock import partition_lock

        settings = settings_for(data_dir)
        if source not in ("sim", "tqsdk"):
            raise CliError(f"--source must be sim or tqsdk, got {source!r}")
        if flush_s <= 0 or speed <= 0 or flush_groups < 1:
            raise CliError("--flush-s and --speed must be > 0, --flush-groups >= 1")
        for v in parse_list(var):  # the same answer to an unsupported variety as every command
            check_variety(v)
        opts = RecordOptions(
            source=source,
            varieties=varieties_of(parse_list(var)),
            symbols=parse_list(symbols),
            data_dir=settings.data_dir.absolute(),
            run_dir=(run_dir or settings.runs_dir / "daemons").absolute(),
            flush_s=flush_s,
            flush_groups=flush_groups,
            start_at=start_at,
            speed=speed,
            port=port,
            stale_s=stale_s,
            sim_seed=settings.sim_seed,
            log_level=settings.log_level,
        )
        api_factory = None
        if source == "tqsdk":
            from ghtrader.sources.tqsdk.api import credentials_from_settings, tqapi_factory

            api_factory = tqapi_factory(credentials_from_settings(settings))
        calendar = TradingCalendar.bundled()
        lake_ticks = opts.data_dir / "lake_v2" / "ticks"

        def lock(symbol: str):  # noqa: ANN202 - a context manager (re-entrant with the commit's own)
            return partition_lock(lake_ticks, symbol, command="ghtrader record")

        questdb = None
        if settings.questdb_host:  # production: QuestDB canonical, mirrored from the lake
            from ghtrader.store.questdb.backend import QuestDbStore
            from ghtrader.store.questdb.conn import QuestDbConfig

            questdb = QuestDbStore(QuestDbConfig.from_settings(settings))
        code = run_record(
            opts,
            calendar=calendar,
            book=ContractBook.load(calendar),
            lock=lock,
            api_factory=api_factory,
            questdb=questdb,
        )

    run_guarded(body)
    raise typer.Exit(code)
