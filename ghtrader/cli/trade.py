"""``ghtrader trade``: the trade runner daemon, and ``replay | verify | kill | reset-kill``.

``ghtrader trade --mode paper|sim|live`` runs in the foreground (supervisord program ``trade-runner``);
every option also reads a ``GHTRADER_TRADE_*`` variable so one program definition serves ``make live``,
docker and tests. Live order routing needs ``GHTRADER_LIVE_ENABLED=true`` AND ``--confirm-live
I_UNDERSTAND``; without both, ``--mode live`` exits 2 before anything connects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ghtrader.cli.common import CliError, emit_json, err_console, parse_day, run_guarded
from ghtrader.cli.trade_daemon import run_daemon as _run_daemon

trade_app = typer.Typer(
    help="Trade runner: paper / sim / live daemon, replay, event-log verify, kill switch.",
    invoke_without_command=True,
    no_args_is_help=False,
)

VarOpt = Annotated[str, typer.Option(envvar="GHTRADER_TRADE_VAR", help="variety: cu | au | ag")]
RunsOpt = Annotated[Path | None, typer.Option(help="default: GHTRADER_RUNS_DIR, else ./runs")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")]
FeatureSetOpt = Annotated[
    str,
    typer.Option(
        envvar="GHTRADER_TRADE_FEATURE_SET",
        help="feature set the runner computes (core | full | full_x | full_xp: au/ag, the feed then carries both)",
    ),
]


def _expected(feature_set: str, horizons: str, k: float) -> Any:
    from ghtrader.features.sets import feature_set as named
    from ghtrader.labels.core import LabelConfig
    from ghtrader.trade.champion import Expected

    hs = tuple(int(h) for h in horizons.split(",") if h.strip())
    return Expected(named(feature_set), LabelConfig(horizons=hs, k=k))


def _limits(max_position: int, max_order_size: int, rate_s: int, rate_day: int, band: float, stale_s: float,
            daily_loss: float, drawdown: float) -> Any:  # fmt: skip
    from ghtrader.trade.risk import RiskLimits

    return RiskLimits(max_position, max_order_size, rate_s, rate_day, band, stale_s, daily_loss, drawdown)


@trade_app.callback()
def trade(
    ctx: typer.Context,
    mode: Annotated[str, typer.Option(envvar="GHTRADER_TRADE_MODE", help="paper | sim | live")] = "paper",
    monitor_only: Annotated[
        bool,
        typer.Option("--monitor-only", envvar="GHTRADER_TRADE_MONITOR_ONLY", help="live: snapshots only"),
    ] = False,
    var: VarOpt = "cu",
    symbol: Annotated[str | None, typer.Option(help="continuous alias (default KQ.m@SHFE.<var>)")] = None,
    contracts: Annotated[
        str | None,
        typer.Option(
            envvar="GHTRADER_TRADE_CONTRACTS", help="sim feed: only these contracts (comma-separated)"
        ),
    ] = None,
    source: Annotated[
        str, typer.Option(envvar="GHTRADER_TRADE_SOURCE", help="tick feed: sim | tqsdk")
    ] = "sim",
    confirm_live: Annotated[
        str | None, typer.Option("--confirm-live", help="live orders: type I_UNDERSTAND")
    ] = None,
    run_id: Annotated[
        str | None, typer.Option(envvar="GHTRADER_TRADE_RUN_ID", help="event log dir (default <mode>-<var>)")
    ] = None,
    start_at: Annotated[
        str | None,
        typer.Option(envvar="GHTRADER_TRADE_START_AT", help="sim feed: virtual start, CST, 2025-03-03T21:00"),
    ] = None,
    speed: Annotated[float, typer.Option(envvar="GHTRADER_TRADE_SPEED", help="sim feed speed")] = 1.0,
    port: Annotated[int, typer.Option(envvar="GHTRADER_TRADE_PORT", help="/healthz + /metrics port")] = 9109,
    infer_every: Annotated[int, typer.Option(help="inference every N ticks")] = 1,
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate", envvar="GHTRADER_TRADE_CALIBRATE", help="online calibration + drift guard"
        ),
    ] = False,
    feature_set: FeatureSetOpt = "core",
    horizons: Annotated[str, typer.Option(help="label horizons the models were trained with")] = "10,50,200",
    k: Annotated[float, typer.Option(help="label FLAT threshold in ticks")] = 1.0,
    max_position: Annotated[int, typer.Option(envvar="GHTRADER_TRADE_MAX_POSITION")] = 1,
    max_order_size: Annotated[int, typer.Option(envvar="GHTRADER_TRADE_MAX_ORDER_SIZE")] = 2,
    max_orders_per_second: Annotated[int, typer.Option()] = 5,
    max_orders_per_day: Annotated[int, typer.Option()] = 2000,
    price_band_ticks: Annotated[float, typer.Option()] = 20.0,
    stale_after_s: Annotated[float, typer.Option(envvar="GHTRADER_TRADE_STALE_S")] = 10.0,
    max_daily_loss: Annotated[float, typer.Option(envvar="GHTRADER_TRADE_MAX_DAILY_LOSS")] = 20_000.0,
    max_drawdown: Annotated[float, typer.Option(envvar="GHTRADER_TRADE_MAX_DRAWDOWN")] = 30_000.0,
    live_dir: Annotated[Path | None, typer.Option(envvar="GHTRADER_LIVE_DIR", help="heartbeat dir")] = None,
    runs_dir: RunsOpt = None,
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
) -> None:
    """Run the trade runner in the foreground until SIGTERM (SIGUSR1: kill switch)."""
    if ctx.invoked_subcommand is not None:
        return
    code = 0

    def body() -> None:
        nonlocal code
        from ghtrader.config import load_settings
        from ghtrader.trade.gate import LiveGateError, open_gate

        settings = load_settings(data_dir=data_dir, runs_dir=runs_dir)
        try:  # the gate comes first: nothing below may connect without both keys
            gate = open_gate(
                mode, monitor_only=monitor_only, live_enabled=settings.live_enabled, confirm=confirm_live
            )
        except LiveGateError as exc:
            err_console.print(f"[red]refused:[/red] {exc}", highlight=False, soft_wrap=True)
            code = 2
            return
        limits = _limits(max_position, max_order_size, max_orders_per_second, max_orders_per_day,
                         price_band_ticks, stale_after_s, max_daily_loss, max_drawdown)  # fmt: skip
        code = _run_daemon(
            settings, gate, mode=mode, monitor_only=monitor_only, var=var, symbol=symbol or f"KQ.m@SHFE.{var}",
            source=source, run_id=run_id or f"{mode}-{var}", start_at=start_at, speed=speed, port=port,
            infer_every=infer_every, expected=_expected(feature_set, horizons, k), limits=limits, calibrate=calibrate,
            live_dir=live_dir, contracts=tuple(c.strip() for c in (contracts or "").split(",") if c.strip()),
        )  # fmt: skip

    run_guarded(body)
    raise typer.Exit(code)


@trade_app.command("replay")
def replay_cmd(
    var: VarOpt = "cu",
    start: Annotated[str, typer.Option(help="first trading day")] = "",
    end: Annotated[str, typer.Option(help="last trading day")] = "",
    mode: Annotated[str, typer.Option(help="sim | paper")] = "sim",
    symbol: Annotated[str | None, typer.Option(help="continuous series (default KQ.m@SHFE.<var>)")] = None,
    run_id: Annotated[
        str | None, typer.Option(help="event log dir (default replay-<mode>-<var>-<start>-<end>)")
    ] = None,
    feature_set: FeatureSetOpt = "core",
    horizons: Annotated[str, typer.Option(help="label horizons the models were trained with")] = "10,50,200",
    k: Annotated[float, typer.Option(help="label FLAT threshold in ticks")] = 1.0,
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    runs_dir: RunsOpt = None,
    max_position: Annotated[int, typer.Option()] = 1,
    max_order_size: Annotated[int, typer.Option()] = 2,
    max_orders_per_second: Annotated[int, typer.Option()] = 5,
    max_orders_per_day: Annotated[
        int, typer.Option(help="research comparison: set above the turnover")
    ] = 2000,
    price_band_ticks: Annotated[float, typer.Option()] = 20.0,
    max_daily_loss: Annotated[float, typer.Option(help="research comparison: set above any loss")] = 20_000.0,
    max_drawdown: Annotated[float, typer.Option()] = 30_000.0,
    json_out: JsonOpt = False,
) -> None:
    """Run the runner's code path over stored main_l5 ticks on a virtual clock (champion model).

    The risk engine is part of the runner: where a limit binds (reported under ``risk_events``) the
    replay departs from ``backtest --champion``, which has no limits; raise them to compare research."""

    def body() -> None:
        from ghtrader.config import load_settings
        from ghtrader.market.calendar import TradingCalendar
        from ghtrader.market.contracts import ContractBook
        from ghtrader.store.lake import ParquetLake
        from ghtrader.trade.champion import ChampionRefused, load_champion
        from ghtrader.trade.replay import replay

        if not start or not end:
            raise CliError("give --start and --end (trading days)")
        d0, d1 = parse_day(start, "--start"), parse_day(end, "--end")
        settings = load_settings(data_dir=data_dir, runs_dir=runs_dir)
        expected = _expected(feature_set, horizons, k)
        try:
            champ = load_champion(settings.runs_dir, var, expected)
        except ChampionRefused as exc:
            raise CliError(str(exc)) from None
        rid = run_id or f"replay-{mode}-{var}-{d0}-{d1}"
        summary = replay(
            ParquetLake(settings.lake_dir), var=var, symbol=symbol or f"KQ.m@SHFE.{var}", start=d0, end=d1,
            mode=mode, champion=champ, expected=expected, book=ContractBook.load(TradingCalendar.bundled()),
            runs_dir=settings.runs_dir, run_id=rid,
            limits=_limits(max_position, max_order_size, max_orders_per_second, max_orders_per_day,
                           price_band_ticks, 10.0, max_daily_loss, max_drawdown),
        )  # fmt: skip
        if json_out:
            emit_json(summary)
            return
        lat = summary["latency_us"]
        err_console.print(
            f"{var} {d0}..{d1} {mode}: {summary['ticks']} ticks, {summary['orders']} orders, net "
            f"{summary['net_pnl']:,.2f} CNY, decision p50 {lat.get('p50', 0):.0f} us p99 {lat.get('p99', 0):.0f} us "
            f"-> {summary['run_dir']}",
            highlight=False,
        )

    run_guarded(body)


@trade_app.command("verify")
def verify_cmd(
    run_id: Annotated[str, typer.Argument(help="run id under RUNS_DIR/trading/")],
    runs_dir: RunsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check the event log's hash chain; exit 1 naming the first bad record."""
    code = 0

    def body() -> None:
        nonlocal code
        from ghtrader.config import load_settings
        from ghtrader.trade.eventlog import EVENTS_NAME, verify
        from ghtrader.trade.replay import trading_dir

        path = trading_dir(load_settings(runs_dir=runs_dir).runs_dir, run_id) / EVENTS_NAME
        if not path.is_file():
            raise CliError(f"no event log at {path}")
        res = verify(path)
        if json_out:
            emit_json({"path": str(path), **res.as_dict()})
        elif res.ok:
            err_console.print(f"ok: {res.records} records, chain intact ({path})", highlight=False)
        else:
            err_console.print(
                f"[red]BROKEN[/red] at line {res.first_bad} (after {res.records} good records): {res.reason}",
                highlight=False,
            )
        code = 0 if res.ok else 1

    run_guarded(body)
    raise typer.Exit(code)


@trade_app.command("kill")
def kill_cmd(
    var: VarOpt = "cu",
    reason: Annotated[str, typer.Option(help="why (logged)")] = "manual",
    runs_dir: RunsOpt = None,
) -> None:
    """Trip the kill switch of the runner of ``--var``: it flattens and stops trading until reset-kill."""

    def body() -> None:
        from ghtrader.config import load_settings
        from ghtrader.trade.service import write_kill

        path = write_kill(load_settings(runs_dir=runs_dir).runs_dir, var, f"manual: {reason}")
        err_console.print(f"kill switch set for {var} ({path}); the runner flattens on its next tick")

    run_guarded(body)


@trade_app.command("reset-kill")
def reset_kill_cmd(var: VarOpt = "cu", runs_dir: RunsOpt = None) -> None:
    """Clear the latched kill switch of ``--var`` (the runner logs kill_reset and trades again)."""

    def body() -> None:
        from ghtrader.config import load_settings
        from ghtrader.trade.service import kill_path

        path = kill_path(load_settings(runs_dir=runs_dir).runs_dir, var)
        if not path.is_file():
            raise CliError(f"no kill switch set for {var} ({path})")
        path.unlink()
        err_console.print(f"kill switch cleared for {var}")

    run_guarded(body)
