"""``ghtrader trade replay``: the runner's code path over stored main_l5 ticks on a virtual clock.

The runner sees the ticks one by one exactly as live (``MarketTick`` built by the research input
conversion ``tick_inputs``), starting from the factor state the features build stored for the previous
day (as ``ghtrader backtest --champion`` does). Block ends (day close, roll) come from the data here;
live they come from the session clock. The event log goes to ``runs/trading/<run_id>/``, replacing an
earlier replay of the same id, so two replays can be compared record by record.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.backtest.champion import (
    backtest_config_from,
    load_main_aux,
    load_main_ticks,
    tick_flags,
    warm_state,
)
from ghtrader.features.build import per_row_spec
from ghtrader.features.engine import AuxTicks, FactorState, check_aux, tick_inputs
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.market.sessions import variety_sessions
from ghtrader.store.lake import ParquetLake
from ghtrader.trade.account import MarketTick, PaperAccount, SimAccount
from ghtrader.trade.champion import Champion, Expected
from ghtrader.trade.eventlog import EVENTS_NAME, EventLog, read_records
from ghtrader.trade.feed import aux_events, merge_events
from ghtrader.trade.risk import RiskEngine, RiskLimits
from ghtrader.trade.runner import Hooks, RunnerConfig, TradeRunner


def market_ticks(
    ticks: pd.DataFrame, book: ContractBook, last: np.ndarray, nxt: np.ndarray
) -> Iterator[MarketTick]:
    """The runner's view of each stored tick (kernel input rows from the research conversion)."""
    price_tick, mult = per_row_spec(ticks, book)
    xs, ts, day, seg = tick_inputs(ticks, price_tick, mult)
    days = [d.isoformat() for d in ticks["trading_day"]]
    under = ticks["underlying_contract"].astype(str).tolist()
    bid = ticks["bid_price1"].to_numpy(np.float64)
    ask = ticks["ask_price1"].to_numpy(np.float64)
    lp = ticks["last_price"].to_numpy(np.float64)
    for i in range(len(ticks)):
        yield MarketTick(
            i, int(ts[i]), days[i], int(day[i]), under[i], int(seg[i]), float(bid[i]), float(ask[i]),
            float(lp[i]), xs[i], bool(last[i]), bool(nxt[i]),
        )  # fmt: skip


def trading_dir(runs_dir: Path, run_id: str) -> Path:
    if not run_id or "/" in run_id or run_id.startswith("."):
        raise ValueError(f"bad run id {run_id!r}")
    return Path(runs_dir) / "trading" / run_id


def replay(
    lake: ParquetLake,
    *,
    var: str,
    symbol: str,
    start: dt.date,
    end: dt.date,
    mode: str,
    champion: Champion,
    expected: Expected,
    book: ContractBook,
    runs_dir: Path,
    run_id: str,
    limits: RiskLimits = RiskLimits(),
) -> dict[str, Any]:
    """Replay the stored days ``[start, end]``; return the summary of ``replay_ticks``."""
    ticks = load_main_ticks(lake, symbol, start, end)
    if ticks.empty:
        raise ValueError(f"no main_l5 ticks for {symbol} in {start}..{end} under {lake.root}")
    state = warm_state(lake, symbol, start, expected.features)
    aux = load_main_aux(lake, book, symbol, start, end, expected.features.cross)
    return replay_ticks(
        ticks, state, var=var, symbol=symbol, mode=mode, champion=champion, expected=expected, book=book,
        run_dir=trading_dir(runs_dir, run_id), run_id=run_id, limits=limits,
        info={"start": start.isoformat(), "end": end.isoformat()}, aux=aux,
    )  # fmt: skip


def replay_ticks(
    ticks: pd.DataFrame,
    state: FactorState,
    *,
    var: str,
    symbol: str,
    mode: str,
    champion: Champion,
    expected: Expected,
    book: ContractBook,
    run_dir: Path,
    run_id: str,
    limits: RiskLimits = RiskLimits(),
    info: dict[str, Any] | None = None,
    aux: Mapping[str, AuxTicks] | None = None,
) -> dict[str, Any]:
    """Run the runner over main_l5 ``ticks`` (time order) from factor ``state`` into a fresh ``run_dir``.

    ``aux``: the aux streams of a feature set with cross factors, merged into the tick stream by time.
    """
    if mode not in ("paper", "sim"):
        raise ValueError("replay runs in paper or sim mode (never against a real account)")
    aux = check_aux(expected.features, aux)  # before the run directory is touched
    last, nxt = tick_flags(ticks, backtest_config_from(champion.meta))
    if run_dir.exists():
        shutil.rmtree(run_dir)
    log = EventLog.open(run_dir, wall_clock=time.time_ns)
    account = SimAccount(book) if mode == "sim" else PaperAccount()
    cfg = RunnerConfig(run_id=run_id, var=var, symbol=symbol, mode=mode)
    clock = SessionClock(book.calendar, variety_sessions(var))
    lat: list[float] = []

    class _Hooks(Hooks):
        def latency(self, seconds: float) -> None:
            lat.append(seconds)

    runner = TradeRunner(
        cfg, champion, expected, account, RiskEngine(limits), log, clock, hooks=_Hooks(), factor_state=state
    )
    runner.start(replay=info or {})
    for ev in merge_events(market_ticks(ticks, book, last, nxt), *aux_events(aux)):
        runner.on_event(ev)
    risk_events: dict[str, int] = {}
    for rec in read_records(run_dir / EVENTS_NAME):
        if rec["kind"] in ("kill", "risk_reject", "risk_pause"):
            key = f"{rec['kind']}: {str(rec.get('reason', ''))[:60]}"
            risk_events[key] = risk_events.get(key, 0) + 1
    summary = {
        "run_id": run_id,
        "run_dir": str(run_dir),
        "mode": mode,
        "ticks": len(ticks),
        "aux_ticks": dict(runner.aux_ticks),
        "orders": runner.order_seq,
        "position": account.position,
        "net_pnl": account.equity(),
        "model": champion.describe(),
        "risk_events": risk_events,
    }
    log.append("run_end", **summary)
    log.close()
    return {**summary, "latency_us": _pcts(lat)}


def _pcts(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    us = np.asarray(seconds) * 1e6
    return {"p50": float(np.percentile(us, 50)), "p99": float(np.percentile(us, 99)), "max": float(us.max())}
