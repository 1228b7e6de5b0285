"""Backtest out-of-sample predictions on the main_l5 ticks of the test days (tier 1, ``ghtrader.backtest``).

Predictions are aligned to ticks by (datetime_ns, occurrence number): duplicate stamps exist in main_l5.
A tick without a prediction gets NaN probabilities, which ``signal_from_proba`` turns into flat (or,
with ``hold``, the previous target within the same day and segment). The backtest flattens at each roll and, by
default, at each day end (``BacktestConfig``). With a ``Tier2Setup`` the same target positions are also
replayed by the tier-2 micro-simulator (``ghtrader.evaluation.tiers``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ghtrader.market.contracts import ContractBook
from ghtrader.schema import to_pandas
from ghtrader.store.lake import ParquetLake

if TYPE_CHECKING:
    from ghtrader.evaluation.tiers import Tier2Setup

TICK_COLUMNS = ("datetime_ns", "trading_day", "bid_price1", "ask_price1", "underlying_contract", "segment_id")
# what the tier-2 engine reads besides (ghtrader.backtest.tier2.snapshots.prepare)
DEPTH_COLUMNS = (
    *(f"{side}_{kind}{k}" for side in ("bid", "ask") for kind in ("price", "volume") for k in range(1, 6)),
    "volume",
    "amount",
    "last_price",
)


@dataclass(frozen=True)
class SignalConfig:
    """Probabilities -> target lots: long when ``p_up - p_down > threshold``, short below ``-threshold``.

    ``threshold=None`` (the default): tuned inside each walk-forward training fold
    (``ghtrader.evaluation.decision``), never on the days being evaluated. A number fixes it for every
    split (recorded as "fixed by caller"); pick it without looking at the evaluation's backtests.
    """

    threshold: float | None = None
    max_pos: int = 1
    hold: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_ticks(
    lake: ParquetLake, symbol: str, days: Sequence[dt.date], *, depth: bool = False
) -> pd.DataFrame:
    """main_l5 rows of ``days`` (only the columns the backtest needs; ``depth``: also those of tier 2),
    in time order."""
    cols = list(dict.fromkeys((*TICK_COLUMNS, *(DEPTH_COLUMNS if depth else ()))))
    frames = [to_pandas(lake.read_day("main_l5", symbol, d, columns=cols)) for d in sorted(days)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _occ(ns: np.ndarray) -> np.ndarray:
    return pd.Series(ns).groupby(ns, sort=False).cumcount().to_numpy()


def align_proba(ticks: pd.DataFrame, keys_ns: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Probabilities (n_ticks, 3) for each tick from rows keyed by ``keys_ns``; NaN where none."""
    left = pd.DataFrame({"datetime_ns": ticks["datetime_ns"].to_numpy(np.int64)})
    left["_occ"] = _occ(left["datetime_ns"].to_numpy())
    right = pd.DataFrame({"datetime_ns": np.asarray(keys_ns, dtype=np.int64)})
    right["_occ"] = _occ(right["datetime_ns"].to_numpy())
    right[["p0", "p1", "p2"]] = np.asarray(proba, dtype=np.float64)
    merged = left.merge(right, on=["datetime_ns", "_occ"], how="left", sort=False)
    return merged[["p0", "p1", "p2"]].to_numpy(np.float64)


def one_hot(classes: np.ndarray) -> np.ndarray:
    """Class ids -> (n, 3) probabilities of 0/1 (NaN rows for class -1), for predictors without proba."""
    classes = np.asarray(classes, dtype=np.int64)
    out = np.zeros((len(classes), 3))
    ok = classes >= 0
    out[np.flatnonzero(ok), classes[ok]] = 1.0
    out[~ok] = np.nan
    return out


@dataclass(frozen=True)
class TierBacktest:
    """One strategy's backtests of the same target positions: tier 1, and tier 2 when set up."""

    tier1: Any  # ghtrader.backtest.BacktestResult
    tier2: dict[str, Any] | None = None  # tier-2 metrics (``ghtrader.backtest.tier2.engine.tier2_metrics``)
    tier2_seconds: float | None = None  # wall time of the tier-2 replay (machine-dependent)


def backtest_proba(
    ticks: pd.DataFrame,
    keys_ns: np.ndarray,
    proba: np.ndarray,
    *,
    book: ContractBook,
    signal: SignalConfig = SignalConfig(),
    config: Any = None,
    thresholds: np.ndarray | None = None,
    tier2: Tier2Setup | None = None,
) -> TierBacktest:
    """Backtest the signal from ``proba`` in tier 1 and, with ``tier2`` (prepared from these very
    ``ticks``), in tier 2 on the same target positions.

    ``thresholds``: one per tick (e.g. per-split tuned values); otherwise ``signal.threshold``, which
    must then be set. Probabilities of one-hot predictors (the oracle) act the same at any threshold < 1.
    """
    from ghtrader.backtest import BacktestConfig, run_backtest, signal_from_proba

    if thresholds is None and signal.threshold is None:
        raise ValueError("backtest needs a threshold: tune it (ghtrader.evaluation.decision) or fix one")
    p = align_proba(ticks, keys_ns, proba)
    target = signal_from_proba(
        p,
        threshold=thresholds if thresholds is not None else float(signal.threshold),  # type: ignore[arg-type]
        max_pos=signal.max_pos,
        hold=signal.hold,
        groups=ticks.groupby(["trading_day", "segment_id"], sort=False).ngroup().to_numpy(),
    )
    tier1 = run_backtest(ticks, target, book=book, config=config or BacktestConfig())
    if tier2 is None:
        return TierBacktest(tier1)
    metrics, seconds = tier2.run(target, book)
    return TierBacktest(tier1, metrics, seconds)


def backtest_config_dict(config: Any = None) -> dict[str, Any]:
    from ghtrader.backtest import BacktestConfig

    return dict((config or BacktestConfig()).as_dict())
