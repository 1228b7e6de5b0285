"""Tier-1 backtest of target positions on a tick series (main_l5 or one contract).

``run_backtest`` prepares flat numpy arrays (contract codes, block ends, fee tables) and hands them
to :func:`ghtrader.backtest.kernel.fill_loop`; the fill rules are documented there. PnL is in CNY
with the ``volume_multiple`` of each row's underlying contract, net of fees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.backtest.kernel import ACTIONS, fill_loop
from ghtrader.backtest.metrics import compute_metrics, daily_pnl
from ghtrader.market.contracts import ContractBook

REQUIRED_COLUMNS = (
    "datetime_ns",
    "trading_day",
    "bid_price1",
    "ask_price1",
    "underlying_contract",
    "segment_id",
)


@dataclass(frozen=True)
class BacktestConfig:
    """Backtest knobs.

    ``flatten_daily`` (default True, research safety): also flatten at each trading-day end, so no
    overnight/weekend gap risk enters the result and every close pays ``close_today``.
    ``flatten_at_end``: close any position at the last tick of the data (realized final equity).
    ``capital``: notional account size for drawdown in % (PnL itself does not depend on it).
    """

    flatten_daily: bool = True
    flatten_at_end: bool = True
    close_today_first: bool = True
    capital: float = 1_000_000.0
    annualization_days: int = 252

    def as_dict(self) -> dict[str, Any]:
        return {
            "flatten_daily": self.flatten_daily,
            "flatten_at_end": self.flatten_at_end,
            "close_today_first": self.close_today_first,
            "capital": self.capital,
            "annualization_days": self.annualization_days,
        }


@dataclass(frozen=True)
class BacktestResult:
    """Per-tick ``equity`` (datetime_ns, trading_day, underlying_contract, position, equity = net
    PnL in CNY), ``trades`` (one row per fill and fee action), ``daily`` PnL and ``metrics`` (JSON)."""

    equity: pd.DataFrame
    trades: pd.DataFrame
    daily: pd.DataFrame
    metrics: dict[str, Any]
    config: BacktestConfig


def block_ends(
    segment: np.ndarray, contract: np.ndarray, day: np.ndarray, config: BacktestConfig
) -> np.ndarray:
    """True at the last tick of each block (segment / contract run, and trading day if daily)."""
    n = len(segment)
    last = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return last
    change = (segment[1:] != segment[:-1]) | (contract[1:] != contract[:-1])
    if config.flatten_daily:
        change |= day[1:] != day[:-1]
    last[:-1] = change
    last[-1] = config.flatten_at_end
    return last


def _fee_tables(contracts: list[str], book: ContractBook) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    specs = [book.get(c) for c in contracts]
    mult = np.array([s.volume_multiple for s in specs], dtype=np.float64)
    value_basis = np.array([s.fees.basis == "value" for s in specs], dtype=np.bool_)
    rates = np.array([[s.fees.open, s.fees.close, s.fees.close_today] for s in specs], dtype=np.float64)
    if len(specs) == 0:
        rates = np.zeros((0, 3))
    return mult, value_basis, rates


def _validate(ticks: pd.DataFrame, target: np.ndarray) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in ticks.columns]
    if missing:
        raise ValueError(f"backtest ticks lack columns: {', '.join(missing)}")
    if len(target) != len(ticks):
        raise ValueError(f"target has {len(target)} rows, ticks have {len(ticks)}")
    ns = ticks["datetime_ns"].to_numpy(np.int64)
    if len(ns) > 1 and bool(np.any(ns[1:] < ns[:-1])):
        raise ValueError("backtest ticks must be sorted by datetime_ns")


def run_backtest(
    ticks: pd.DataFrame, target: np.ndarray, *, book: ContractBook, config: BacktestConfig = BacktestConfig()
) -> BacktestResult:
    """Replay ``ticks`` trading towards ``target[i]`` (lots, signed) decided at each row ``i``."""
    _validate(ticks, target)
    tgt = np.asarray(target, dtype=np.int64)
    contract_codes, contracts = pd.factorize(ticks["underlying_contract"], sort=False)
    contract = contract_codes.astype(np.int64)
    day_codes, days = pd.factorize(ticks["trading_day"], sort=False)
    day = day_codes.astype(np.int64)
    segment = ticks["segment_id"].to_numpy(np.int64)
    last = block_ends(segment, contract, day, config)
    names = [str(c) for c in contracts]
    mult, value_basis, rates = _fee_tables(names, book)
    changes = int(np.count_nonzero(tgt[1:] != tgt[:-1])) if len(tgt) > 1 else 0
    cap = 3 * (changes + 3 * int(last.sum()) + 2)
    bid = ticks["bid_price1"].to_numpy(np.float64)
    ask = ticks["ask_price1"].to_numpy(np.float64)
    out = fill_loop(
        bid, ask, day, contract, last, tgt, mult, value_basis, rates, config.close_today_first, cap
    )
    pos, eq, t_idx, t_side, t_qty, t_px, t_fee, t_act, t_forced, rt_pnl, rt_hold = out
    ns = ticks["datetime_ns"].to_numpy(np.int64)
    trading_day = ticks["trading_day"].to_numpy()
    equity = pd.DataFrame(
        {
            "datetime_ns": ns,
            "trading_day": trading_day,
            "underlying_contract": pd.Categorical.from_codes(contract, categories=names),
            "position": pos,
            "equity": eq,
        }
    )
    t_contract = contract[t_idx]
    trades = pd.DataFrame(
        {
            "datetime_ns": ns[t_idx],
            "trading_day": trading_day[t_idx],
            "contract": pd.Categorical.from_codes(t_contract, categories=names),
            "side": pd.Categorical.from_codes((t_side > 0).astype(np.int8), categories=["sell", "buy"]),
            "qty": t_qty,
            "price": t_px,
            "fee": t_fee,
            "action": pd.Categorical.from_codes(t_act, categories=list(ACTIONS)),
            "forced": t_forced,
            "tick": t_idx,
            "cash_flow": -np.where(t_side > 0, 1.0, -1.0) * t_px * t_qty * mult[t_contract] - t_fee,
        }
    )
    daily = daily_pnl(day, eq, np.asarray(days, dtype=object))
    metrics = compute_metrics(
        equity=eq,
        daily=daily["pnl"].to_numpy(np.float64),
        trades=trades,
        notional=t_px * t_qty * mult[t_contract],
        round_trip_pnl=rt_pnl,
        round_trip_hold=rt_hold,
        position=pos,
        config=config,
    )
    return BacktestResult(equity=equity, trades=trades, daily=daily, metrics=metrics, config=config)


def downsample(equity: pd.DataFrame, max_points: int = 5000) -> pd.DataFrame:
    """Every k-th row plus the last one, for plots and files (the extremes may fall between)."""
    n = len(equity)
    if n <= max_points:
        return equity.reset_index(drop=True)
    step = -(-n // max_points)
    idx = np.unique(np.append(np.arange(0, n, step), n - 1))
    return equity.iloc[idx].reset_index(drop=True)
