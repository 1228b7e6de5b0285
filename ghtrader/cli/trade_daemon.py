"""The ``ghtrader trade`` daemon's wiring: the feed (sim on a virtual clock, or TqSdk), the roll
schedules, then ``trade.service.run_trade``. A feature set with cross role ``pair`` makes the feed carry
the partner variety too (au <-> ag), with its own schedule.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ghtrader.cli.common import CliError


def run_daemon(
    settings: Any, gate: Any, *, live_dir: Path | None, contracts: tuple[str, ...] = (), **kw: Any
) -> int:
    import time

    from ghtrader.market.calendar import TradingCalendar
    from ghtrader.market.contracts import ContractBook
    from ghtrader.store.lake import ParquetLake
    from ghtrader.trade.champion import ChampionRefused
    from ghtrader.trade.feed import feed_varieties
    from ghtrader.trade.service import TradeOptions, run_trade

    cal = TradingCalendar.bundled()
    book = ContractBook.load(cal)
    run_dir = live_dir or settings.runs_dir / "daemons"
    expected = kw.pop("expected")
    opts = TradeOptions(
        runs_dir=settings.runs_dir,
        data_dir=settings.data_dir,
        run_dir=run_dir,
        sim_seed=settings.sim_seed,
        **kw,
    )
    try:  # the partner variety's feed too for cross role 'pair' (au <-> ag); cu has none
        varieties = feed_varieties(opts.var, expected.features.cross)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    lake = ParquetLake(settings.lake_dir)
    schedule = main_schedule(lake, opts.var)
    partner_schedule = main_schedule(lake, varieties[1]) if len(varieties) > 1 else {}
    api = None
    market_now = time.time_ns
    if opts.source == "sim":
        from ghtrader.live.clock import SessionTimeline, load_or_start_clock, parse_start_at
        from ghtrader.live.simfeed import VirtualSimFeed
        from ghtrader.sources.sim import SimConfig, SimSource

        timeline = SessionTimeline(cal, varieties)
        start = parse_start_at(opts.start_at) if opts.start_at else time.time_ns()
        run_dir.mkdir(parents=True, exist_ok=True)
        clock = load_or_start_clock(run_dir / f"trade-{opts.run_id}.clock.json", timeline, start, opts.speed)
        sim = SimSource(cal, book, SimConfig(seed=opts.sim_seed))
        market_now = clock.market_ns

        def feed_factory(d: Any) -> Any:
            return VirtualSimFeed(
                sim, varieties, clock, symbols=contracts or None, poll_s=0.05, sleep=d.sleep
            )

    elif opts.source == "tqsdk":
        from ghtrader.sources.tqsdk import credentials_from_settings, tqapi_factory
        from ghtrader.sources.tqsdk.live import TqLiveFeed

        api = tqapi_factory(credentials_from_settings(settings))()

        def feed_factory(d: Any) -> Any:
            today = cal.trading_day_of(time.time_ns()) or dt.date.today()
            syms = [s.symbol for v in varieties for s in book.listed(v, today)]
            return TqLiveFeed(lambda **_: api, syms, cal, max_idle_s=60.0)

    else:
        raise CliError(f"--source must be sim or tqsdk, got {opts.source!r}")
    try:
        return run_trade(
            opts, expected=expected, calendar=cal, book=book, gate=gate, feed_factory=feed_factory,
            schedule=schedule, partner_schedule=partner_schedule, api=api, market_now=market_now,
        )  # fmt: skip
    except ChampionRefused as exc:
        raise CliError(str(exc)) from None


def main_schedule(lake: Any, var: str) -> dict[str, str]:
    """The lake's main-contract schedule of ``var`` as {ISO day: contract} ({} when there is none)."""
    try:
        from ghtrader.schedule.build import load_schedule

        df = load_schedule(lake, var)
    except (ValueError, OSError):
        return {}
    return {d.isoformat(): str(c) for d, c in zip(df["trading_day"], df["main_contract"], strict=True)}
