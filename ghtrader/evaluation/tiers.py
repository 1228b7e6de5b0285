"""Tier 2 beside tier 1 in walk-forward evaluations (``train``, ``benchmark``, the DAG's ``evaluate``).

The test days' L5 snapshots are prepared once per evaluation (``setup_tier2``); every strategy's
tier-1 target positions (the very array tier 1 trades) are then replayed by the tier-2
micro-simulator (``ghtrader.backtest.tier2``: latency, queue position, partial fills, SHFE fees).
Only the metrics are kept (``tier2_metrics``: net PnL after fees, fills, fill ratio, queue wait,
adverse selection after fills); the replay is deterministic (constant latencies by default).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ghtrader.market.contracts import ContractBook

if TYPE_CHECKING:
    from ghtrader.backtest.tier2.engine import Tier2Config
    from ghtrader.backtest.tier2.snapshots import Snapshots


@dataclass(frozen=True)
class Tier2Setup:
    """Prepared snapshots of an evaluation's test ticks and the tier-2 knobs."""

    snap: Snapshots
    config: Tier2Config

    def run(self, target: np.ndarray, book: ContractBook) -> tuple[dict[str, Any], float]:
        """(tier-2 metrics, wall seconds) of trading towards ``target`` (lots per tick row)."""
        from ghtrader.backtest.tier2.engine import run_tier2

        t0 = time.perf_counter()
        res = run_tier2(self.snap, book=book, target=target, config=self.config)
        return res.metrics, time.perf_counter() - t0


def default_tier2() -> Tier2Config:
    """The evaluation's tier-2 knobs: FAK orders at the opposite best, risk-averse queue, latencies
    feed 20 / entry 10 / response 10 ms (``Tier2Config`` defaults)."""
    from ghtrader.backtest.tier2.engine import Tier2Config

    return Tier2Config()


def setup_tier2(
    ticks: pd.DataFrame, book: ContractBook, config: Tier2Config, *, flatten_daily: bool = True
) -> Tier2Setup:
    """Prepare ``ticks`` (main_l5 with depth, ``evaluation.backtest.load_ticks(depth=True)``) once;
    tier 2 flattens at day ends exactly when tier 1 does."""
    from ghtrader.backtest.tier2.snapshots import prepare

    cfg = replace(config, flatten_daily=flatten_daily)
    return Tier2Setup(prepare(ticks, book, flatten_daily=cfg.flatten_daily), cfg)


Tier2Option = bool | Any  # True: ``default_tier2()``; False: tier 1 only; or a ``Tier2Config``


def tier2_config(option: Tier2Option) -> Tier2Config | None:
    """The knobs an evaluation's ``tier2`` argument asks for (None: tier 2 off)."""
    if option is True:
        return default_tier2()
    if option is False or option is None:
        return None
    return option  # type: ignore[no-any-return]
