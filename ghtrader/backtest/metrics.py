"""Backtest metrics from an equity series (net PnL in CNY) and the fills.

Conventions (say them in every report): Sharpe is annualized from *daily* PnL,
``mean / std(ddof=1) * sqrt(252)``, with daily PnL = change of end-of-day equity (PnL over a fixed
notional capital, so the capital cancels out); it is ``None`` with fewer than 2 days or zero
variance. Drawdown is measured on account equity ``capital + PnL`` from its running peak (the
capital itself is the first peak), in CNY and as a fraction of that peak.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ghtrader.backtest.engine import BacktestConfig


def daily_pnl(day_code: np.ndarray, equity: np.ndarray, days: np.ndarray) -> pd.DataFrame:
    """End-of-day equity and its change per trading day (first day measured from 0)."""
    if len(equity) == 0:
        return pd.DataFrame({"trading_day": [], "equity": [], "pnl": []})
    last = np.flatnonzero(np.append(day_code[1:] != day_code[:-1], True))
    eod = equity[last]
    return pd.DataFrame(
        {"trading_day": days[day_code[last]], "equity": eod, "pnl": np.diff(eod, prepend=0.0)}
    )


def sharpe(daily: np.ndarray, periods: int = 252) -> float | None:
    """Annualized Sharpe of daily PnL (``None`` when undefined)."""
    if len(daily) < 2:
        return None
    sd = float(np.std(daily, ddof=1))
    if not sd > 0:
        return None
    return float(np.mean(daily)) / sd * math.sqrt(periods)


def max_drawdown(equity: np.ndarray, capital: float) -> tuple[float, float]:
    """(max drawdown in CNY, as a fraction of the running peak) of ``capital + equity``."""
    account = capital + np.concatenate(([0.0], np.asarray(equity, dtype=np.float64)))
    peak = np.maximum.accumulate(account)
    dd = peak - account
    frac = np.divide(dd, peak, out=np.zeros_like(dd), where=peak > 0)
    return float(dd.max()), float(frac.max())


def _opt(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def compute_metrics(
    *,
    equity: np.ndarray,
    daily: np.ndarray,
    trades: pd.DataFrame,
    notional: np.ndarray,
    round_trip_pnl: np.ndarray,
    round_trip_hold: np.ndarray,
    position: np.ndarray,
    config: BacktestConfig,
) -> dict[str, Any]:
    """JSON-serializable metrics (plain floats/ints/None)."""
    fees = float(trades["fee"].sum()) if len(trades) else 0.0
    net = float(equity[-1]) if len(equity) else 0.0
    dd_cny, dd_frac = max_drawdown(equity, config.capital)
    n_rt = len(round_trip_pnl)
    return {
        "ticks": len(equity),
        "days": len(daily),
        "total_pnl": net + fees,
        "fees": fees,
        "net_pnl": net,
        "final_position": int(position[-1]) if len(position) else 0,
        "sharpe": _opt(sharpe(daily, config.annualization_days)),
        "sharpe_basis": f"daily net PnL, mean/std(ddof=1)*sqrt({config.annualization_days})",
        "max_drawdown": dd_cny,
        "max_drawdown_pct": dd_frac,
        "capital": config.capital,
        "turnover_lots": int(trades["qty"].sum()) if len(trades) else 0,
        "turnover_notional": float(np.sum(notional)),
        "trade_count": len(trades),
        "forced_fills": int(trades["forced"].sum()) if len(trades) else 0,
        "round_trips": n_rt,
        "win_rate": float(np.mean(round_trip_pnl > 0)) if n_rt else None,
        "avg_holding_ticks": float(np.mean(round_trip_hold)) if n_rt else None,
        "max_abs_position": int(np.max(np.abs(position))) if len(position) else 0,
    }
