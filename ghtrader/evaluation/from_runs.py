"""Evaluate already-trained model runs together: the pipeline's ``evaluate`` step.

The DAG trains each model in its own mapped task (walk-forward + final fit + run directory); this
step compares those runs on the same splits without retraining: it reloads each run's test-day
predictions, checks they cover exactly this evaluation's held-out rows (same data, same splits),
backtests them, adds the majority baseline and the oracle reference, and writes one report.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ghtrader.evaluation.backtest import SignalConfig, TierBacktest, backtest_proba
from ghtrader.evaluation.compare import TABLE_KEYS
from ghtrader.evaluation.decision import thresholds_per_tick
from ghtrader.evaluation.runs import PREDICTIONS, read_run
from ghtrader.evaluation.session import BenchmarkResult, oracle_backtest, setup, write_evaluation
from ghtrader.evaluation.tiers import Tier2Option
from ghtrader.evaluation.walkforward import EvalConfig
from ghtrader.market.contracts import ContractBook


def evaluate_runs(
    lake_root: Path,
    symbol: str,
    run_dirs: Sequence[Path],
    *,
    runs_dir: Path,
    book: ContractBook,
    config: EvalConfig = EvalConfig(),
    signal: SignalConfig = SignalConfig(),
    backtest_config: Any = None,
    days: Sequence[dt.date] | None = None,
    tier2: Tier2Option = True,
) -> BenchmarkResult:
    """Compare trained runs of ``symbol`` on this evaluation's splits and write the report (tier 1 and,
    unless ``tier2`` is False, tier 2 side by side)."""
    if not run_dirs:
        raise ValueError("no model runs to evaluate")
    ses = setup(lake_root, symbol, config, book, days, signal, backtest_config, tier2=tier2)
    table: list[dict[str, Any]] = []
    backtests: dict[str, TierBacktest] = {}
    scores: dict[str, Any] = {}
    models: dict[str, Any] = {}
    dirs: dict[str, Path] = {}
    decisions: dict[str, Any] = {}
    for d in map(Path, run_dirs):
        m = read_run(d)
        meta = json.loads((d / "meta.json").read_text())
        name = str(m["model"])
        preds = pd.read_parquet(d / PREDICTIONS)
        if not np.array_equal(preds["datetime_ns"].to_numpy(np.int64), ses.keys_ns):
            raise ValueError(
                f"run {d} was evaluated on other rows than this evaluation (data or splits differ)"
            )
        proba = preds[["p_down", "p_flat", "p_up"]].to_numpy()
        thresholds = None
        if signal.threshold is None:  # the thresholds tuned inside each training fold when it was trained
            decision = m.get("decision")
            if not decision:
                raise ValueError(f"run {d} has no tuned decision thresholds; retrain it or fix a threshold")
            thresholds = thresholds_per_tick(ses.ticks, ses.splits, decision["per_split"])
        backtests[name] = backtest_proba(
            ses.ticks,
            ses.keys_ns,
            proba,
            book=book,
            signal=signal,
            config=backtest_config,
            thresholds=thresholds,
            tier2=ses.tier2,
        )
        decisions[name] = m.get("decision")
        row = {"name": name, "kind": "model", "available": True, "reason": None}
        row |= {k: m["summary"].get(k) for k in TABLE_KEYS}
        row["latency_us_per_row"] = m.get("timing", {}).get("latency_us_per_row")
        row["train_seconds"] = m.get("timing", {}).get("train_seconds")
        table.append(row)
        scores[name] = {**m["summary"], "per_split": m["per_split"], "pooled": m["pooled"]}
        models[name] = meta.get("params", meta.get("model_params"))
        dirs[name] = d
    if ses.oracle is not None:
        backtests["oracle"] = oracle_backtest(ses, book, signal, backtest_config)
    return write_evaluation(
        ses,
        symbol,
        runs_dir,
        models=models,
        config=config,
        table=table,
        scores=scores,
        backtests=backtests,
        decisions=decisions,
        run_dirs=dirs,
        timing={},
        hash_extra={"runs": sorted(dirs)},
    )
