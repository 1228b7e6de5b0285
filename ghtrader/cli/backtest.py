"""``ghtrader backtest``: tier-1 backtest of a model's predictions on the main_l5 series."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ghtrader.cli.common import CliError, emit_json, err_console, parse_day, run_guarded, settings_for


def backtest(
    symbol: Annotated[str, typer.Option(help="continuous series, e.g. KQ.m@SHFE.cu")] = "KQ.m@SHFE.cu",
    model_dir: Annotated[
        Path | None, typer.Option(help="run dir with predictions.parquet (and meta.json)")
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option(help="predictions parquet (default MODEL_DIR/predictions.parquet)")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="first trading day (default: first predicted day)")
    ] = None,
    end: Annotated[str | None, typer.Option(help="last trading day (default: last predicted day)")] = None,
    threshold: Annotated[float, typer.Option(help="trade when |p_up - p_down| exceeds this")] = 0.3,
    max_pos: Annotated[int, typer.Option(help="target size in lots")] = 1,
    hold: Annotated[bool, typer.Option(help="keep the last target while the signal is neutral")] = False,
    flatten_daily: Annotated[bool, typer.Option(help="flatten at every trading-day end")] = True,
    capital: Annotated[float, typer.Option(help="notional capital (CNY) for drawdown %")] = 1_000_000.0,
    out: Annotated[Path | None, typer.Option(help="output dir (default MODEL_DIR/backtest)")] = None,
    write_meta: Annotated[
        bool, typer.Option(help="store metrics in MODEL_DIR/meta.json metrics.backtest")
    ] = True,
    tier: Annotated[
        int, typer.Option(help="1: next-tick fills; 2: also the queue/latency micro-simulator")
    ] = 1,
    queue_model: Annotated[str, typer.Option(help="tier 2: risk_averse | power | log")] = "risk_averse",
    order_type: Annotated[str, typer.Option(help="tier 2: fak | fok | limit")] = "fak",
    md_latency_ms: Annotated[float, typer.Option(help="tier 2: market-data latency")] = 20.0,
    entry_latency_ms: Annotated[float, typer.Option(help="tier 2: order entry / cancel latency")] = 10.0,
    data_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_DATA_DIR, else ./data")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print a JSON summary on stdout")] = False,
    champion: Annotated[
        bool,
        typer.Option("--champion", help="score the promoted champion artifact of --var on --start..--end"),
    ] = False,
    var: Annotated[str, typer.Option(help="variety of the champion (with --champion)")] = "cu",
    feature_set: Annotated[
        str, typer.Option(help="feature set (with --champion): core | full | full_x | full_xp")
    ] = "core",
    runs_dir: Annotated[Path | None, typer.Option(help="default: GHTRADER_RUNS_DIR, else ./runs")] = None,
) -> None:
    """Replay main_l5 ticks with TqSim-like fills (next tick's opposite best, full size, SHFE fees)."""
    if champion:
        run_guarded(lambda: _champion(var, start, end, feature_set, data_dir, runs_dir, out, json_out))
        return

    def body() -> None:
        import pandas as pd

        from ghtrader.backtest.engine import BacktestConfig
        from ghtrader.backtest.runner import (
            SignalConfig,
            backtest_predictions,
            load_predictions,
            load_ticks,
            record_in_meta,
            target_from_predictions,
            write_outputs,
            write_tier2_outputs,
        )
        from ghtrader.backtest.tier2.engine import Tier2Config, run_tier2
        from ghtrader.backtest.tier2.report import format_side_by_side, side_by_side
        from ghtrader.market.calendar import TradingCalendar
        from ghtrader.market.contracts import ContractBook
        from ghtrader.reports.tiers import write_tiers_report
        from ghtrader.store.lake import ParquetLake

        pred_path = predictions or (model_dir / "predictions.parquet" if model_dir else None)
        if pred_path is None:
            raise CliError("give --model-dir (with predictions.parquet) or --predictions FILE")
        out_dir = out or (model_dir / "backtest" if model_dir else pred_path.parent / "backtest")
        preds = load_predictions(pred_path)
        if preds.empty:
            raise CliError(f"{pred_path} has no rows")
        days = sorted(pd.to_datetime(preds["trading_day"]).dt.date) if "trading_day" in preds.columns else []
        if (start is None or end is None) and not days:
            raise CliError("predictions lack trading_day: give --start and --end")
        d0 = parse_day(start, "--start") if start else days[0]
        d1 = parse_day(end, "--end") if end else days[-1]
        settings = settings_for(data_dir)
        if tier not in (1, 2):
            raise CliError(f"--tier must be 1 or 2, got {tier}")
        ticks = load_ticks(ParquetLake(settings.lake_dir), symbol, d0, d1, depth=tier == 2)
        if ticks.empty:
            raise CliError(f"no main_l5 ticks for {symbol} in {d0}..{d1} under {settings.lake_dir}")
        sig = SignalConfig(threshold=threshold, max_pos=max_pos, hold=hold)
        cfg = BacktestConfig(flatten_daily=flatten_daily, capital=capital)
        book = ContractBook.load(TradingCalendar.bundled())
        result = backtest_predictions(ticks, preds, book=book, signal=sig, config=cfg)
        extra = {
            "symbol": symbol,
            "start": d0.isoformat(),
            "end": d1.isoformat(),
            "predictions": str(pred_path),
            "signal": sig.__dict__,
        }
        payload = write_outputs(result, out_dir, extra)
        meta_updated = bool(model_dir and write_meta and record_in_meta(model_dir, result.metrics))
        payload |= {"out_dir": str(out_dir), "meta_updated": meta_updated}
        if tier == 2:
            t2cfg = Tier2Config(
                md_latency_ms=md_latency_ms,
                entry_latency_ms=entry_latency_ms,
                queue_model=queue_model,
                order_type=order_type,
                flatten_daily=flatten_daily,
            )
            t2 = run_tier2(ticks, book=book, target=target_from_predictions(ticks, preds, sig), config=t2cfg)
            write_tier2_outputs(t2, out_dir, extra)
            if model_dir and write_meta:
                record_in_meta(model_dir, t2.metrics, key="backtest_tier2")
            payload["tier2"] = t2.metrics
            payload["side_by_side"] = side_by_side(result.metrics, t2.metrics)
            write_tiers_report(
                out_dir / "tier2" / "report.html",
                f"{symbol} {d0}..{d1}: tier 1 vs tier 2",
                payload["side_by_side"],
                f"tier 1: next tick's opposite best, full size; tier 2: {queue_model} queue, {order_type}, "
                f"latency md {md_latency_ms} ms / entry {entry_latency_ms} ms; fees included in net PnL.",
            )
            if not json_out:
                err_console.print(format_side_by_side(payload["side_by_side"]))
        if json_out:
            emit_json(payload)
            return
        m = result.metrics
        sharpe = "n/a" if m["sharpe"] is None else f"{m['sharpe']:.2f}"
        err_console.print(
            f"{symbol} {d0}..{d1}: net {m['net_pnl']:,.0f} CNY (gross {m['total_pnl']:,.0f}, fees "
            f"{m['fees']:,.0f}), sharpe {sharpe}, max DD {m['max_drawdown']:,.0f} CNY, "
            f"{m['trade_count']} fills / {m['round_trips']} round trips -> {out_dir}"
        )

    run_guarded(body)


def _champion(
    var: str,
    start: str | None,
    end: str | None,
    feature_set: str,
    data_dir: Path | None,
    runs_dir: Path | None,
    out: Path | None,
    json_out: bool,
) -> None:
    """``--champion``: the champion artifact predicts every tick (factors from the build's stored state)."""
    from ghtrader.backtest.champion import backtest_model, load_main_aux, load_main_ticks, warm_state
    from ghtrader.backtest.runner import write_outputs
    from ghtrader.config import load_settings
    from ghtrader.features.sets import feature_set as named
    from ghtrader.labels.core import LabelConfig
    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook
    from ghtrader.store.lake import ParquetLake
    from ghtrader.trade.champion import ChampionRefused, Expected, load_champion

    if not start or not end:
        raise CliError("--champion needs --start and --end")
    d0, d1 = parse_day(start, "--start"), parse_day(end, "--end")
    settings = load_settings(data_dir=data_dir, runs_dir=runs_dir)
    expected = Expected(named(feature_set), LabelConfig())
    try:
        champ = load_champion(settings.runs_dir, var, expected)
    except ChampionRefused as exc:
        raise CliError(str(exc)) from None
    symbol = f"KQ.m@SHFE.{var}"
    lake = ParquetLake(settings.lake_dir)
    ticks = load_main_ticks(lake, symbol, d0, d1)
    if ticks.empty:
        raise CliError(f"no main_l5 ticks for {symbol} in {d0}..{d1} under {settings.lake_dir}")
    book = ContractBook.load(TradingCalendar.bundled())
    res = backtest_model(
        ticks, champ.model, champ.meta, features=expected.features,
        state=warm_state(lake, symbol, d0, expected.features), book=book,
        aux=load_main_aux(lake, book, symbol, d0, d1, expected.features.cross),
    )  # fmt: skip
    out_dir = out or settings.runs_dir / "trading" / f"backtest-{var}-{d0}-{d1}"
    extra = {"symbol": symbol, "start": d0.isoformat(), "end": d1.isoformat(), "champion": champ.describe()}
    payload = write_outputs(res.result, out_dir, extra) | {"out_dir": str(out_dir)}
    if json_out:
        emit_json(payload)
        return
    m = res.result.metrics
    err_console.print(
        f"champion {champ.run_id} on {symbol} {d0}..{d1}: net {m['net_pnl']:,.2f} CNY (fees {m['fees']:,.2f}), "
        f"{m['trade_count']} fills -> {out_dir}",
        highlight=False,
    )
