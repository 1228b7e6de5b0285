"""Decision parameters tuned honestly: the signal threshold is chosen inside each training fold.

The trap this avoids: picking the threshold after looking at backtests of the evaluation days (the
old demo default 0.8 was chosen that way) makes the reported PnL in-sample. Here, for walk-forward
split ``i``, the threshold maximizes tier-1 backtest net PnL over a fixed grid on *out-of-sample
predictions of days inside split i's training days* only:

- the inner tail: a model fitted on the first split's train days minus the last ``tune_days`` (and a
  purge gap) predicts those last days (``evaluate_model`` does this extra fit);
- the test predictions of earlier splits whose test days lie in split ``i``'s training days.

Both were made by models that never trained on those days, and all of them precede split ``i``'s purge
gap, so split ``i``'s test days never influence its own threshold (nested, time-ordered). Ties go to
the larger threshold (fewer trades). The artifact's deployment threshold is tuned on every
out-of-sample row (all splits plus the inner tail): it is used only on future data, never scored.
``max_pos`` and ``hold`` are fixed by ``SignalConfig``, not tuned. A caller-fixed threshold
(``SignalConfig.threshold`` set) is recorded as ``source="fixed by caller"``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.datasets.splits import Split
from ghtrader.evaluation.backtest import SignalConfig
from ghtrader.market.contracts import ContractBook

THRESHOLD_GRID: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
PROBA = ["p_down", "p_flat", "p_up"]
ORACLE_THRESHOLD = 0.5  # one-hot probabilities: any threshold in (0, 1) gives the same signal


def _days(frame: pd.DataFrame) -> np.ndarray:
    """``trading_day`` as ``datetime.date`` objects; converted once per distinct day (ticks repeat it)."""
    col = frame["trading_day"].to_numpy()
    if len(col) == 0:
        return np.zeros(0, dtype=object)
    uniq, inverse = np.unique(col, return_inverse=True)
    return np.array([pd.Timestamp(d).date() for d in uniq], dtype=object)[inverse.ravel()]


def daily_pnl_grid(
    ticks: pd.DataFrame,
    preds: pd.DataFrame,
    *,
    book: ContractBook,
    signal: SignalConfig,
    backtest_config: Any = None,
    grid: Sequence[float] = THRESHOLD_GRID,
) -> pd.DataFrame:
    """Net PnL per trading day (rows) for each grid threshold (columns), one backtest per threshold.

    Probabilities are aligned to ticks once. With ``flatten_daily`` (the default) and the signal held
    only within a (day, segment), days are independent, so a subset's PnL is the sum of its days.
    """
    from ghtrader.backtest import BacktestConfig, run_backtest, signal_from_proba
    from ghtrader.evaluation.backtest import align_proba

    days = sorted(set(_days(preds)))
    t = ticks.loc[np.isin(_days(ticks), np.asarray(days, dtype=object))].reset_index(drop=True)
    p = align_proba(t, preds["datetime_ns"].to_numpy(np.int64), preds[PROBA].to_numpy(np.float64))
    groups = t.groupby(["trading_day", "segment_id"], sort=False).ngroup().to_numpy()
    cfg = backtest_config or BacktestConfig()
    cols = {}
    for th in grid:
        target = signal_from_proba(p, threshold=th, max_pos=signal.max_pos, hold=signal.hold, groups=groups)
        daily = run_backtest(t, target, book=book, config=cfg).daily
        cols[th] = pd.Series(
            daily["pnl"].to_numpy(np.float64), index=[pd.Timestamp(d).date() for d in daily["trading_day"]]
        )
    return pd.DataFrame(cols).reindex(days).fillna(0.0)


def pick(pnl: pd.DataFrame, days: Sequence[dt.date]) -> dict[str, Any]:
    """The grid threshold with the best summed net PnL over ``days`` (ties: the larger threshold)."""
    rows = pnl.loc[pnl.index.isin(list(days))]
    if rows.empty:
        return {"threshold": None, "days": [], "grid": []}
    totals = rows.sum(axis=0)
    grid = [{"threshold": float(th), "net_pnl": float(v)} for th, v in totals.items()]
    best = max(grid, key=lambda r: (r["net_pnl"], r["threshold"]))
    return {
        "threshold": best["threshold"],
        "net_pnl": best["net_pnl"],
        "days": [d.isoformat() for d in rows.index],
        "grid": grid,
    }


def tune_decisions(
    ticks: pd.DataFrame,
    oos: pd.DataFrame,
    splits: Sequence[Split],
    *,
    book: ContractBook,
    signal: SignalConfig,
    backtest_config: Any = None,
) -> dict[str, Any]:
    """Per-split thresholds from ``oos`` rows inside each split's train days, plus the deployment one.

    ``oos``: out-of-sample prediction rows (``predictions.parquet`` layout; inner-tail rows have split
    -1). ``ticks``: main_l5 ticks covering every day of ``oos``.
    """
    if signal.threshold is not None:
        fixed = float(signal.threshold)
        per = [
            {"split": i, "threshold": fixed, "source": "fixed by caller", "days": []}
            for i in range(len(splits))
        ]
        return {"threshold": fixed, "source": "fixed by caller", "per_split": per}
    if backtest_config is not None and not backtest_config.flatten_daily:
        raise ValueError("threshold tuning sums per-day PnL; it needs BacktestConfig(flatten_daily=True)")
    pnl = daily_pnl_grid(ticks, oos, book=book, signal=signal, backtest_config=backtest_config)
    per_split = []
    for i, s in enumerate(splits):
        res = pick(pnl, s.train_days)  # only days inside this split's training fold
        source = "tuned on out-of-sample predictions of this split's train days"
        if res["threshold"] is None:
            res["threshold"], source = (
                THRESHOLD_GRID[len(THRESHOLD_GRID) // 2],
                "grid midpoint: no tuning days",
            )
        per_split.append({"split": i, **res, "source": source})
    final = pick(pnl, list(pnl.index))
    return {
        "threshold": final["threshold"],
        "source": "tuned on every out-of-sample prediction (all splits and the inner tail); for future use",
        "deployment": final,
        "per_split": per_split,
        "grid": list(THRESHOLD_GRID),
    }


def thresholds_per_tick(
    ticks: pd.DataFrame, splits: Sequence[Split], per_split: Sequence[dict[str, Any]]
) -> np.ndarray:
    """Each tick's threshold: that of the split whose test days contain its trading day (NaN otherwise)."""
    by_day: dict[dt.date, float] = {}
    for s, d in zip(splits, per_split, strict=True):
        by_day.update(dict.fromkeys(s.test_days, float(d["threshold"])))
    return np.array([by_day.get(d, np.nan) for d in _days(ticks)], dtype=np.float64)
