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

from ghtrader.evaluation.backtest import SignalConfig, backtest_proba
from ghtrader.evaluation.benchmark import (
    TABLE_KEYS,
    TIMING_KEYS,
    BenchmarkResult,
    _row,
    _setup,
    oracle_backtest,
)
from ghtrader.evaluation.data import stable_hash
from ghtrader.evaluation.decision import thresholds_per_tick
from ghtrader.evaluation.ladder import add_backtest_columns, per_split_pnl
from ghtrader.evaluation.runs import PREDICTIONS, read_run, safe_symbol, write_json
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
) -> BenchmarkResult:
    """Compare trained runs of ``symbol`` on this evaluation's splits and write the report."""
    from ghtrader.reports.html import write_report

    if not run_dirs:
        raise ValueError("no model runs to evaluate")
    ses = _setup(lake_root, symbol, config, book, days, signal, backtest_config)
    table: list[dict[str, Any]] = []
    backtests: dict[str, Any] = {}
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
    table += [_row(n, "baseline" if n == "majority" else "reference", b) for n, b in ses.baselines.items()]
    settings = {"models": models, "config": config.to_dict(), **ses.settings}
    eval_id = stable_hash(
        {**settings, "data": ses.data.data_hash, "symbol": symbol, "runs": sorted(dirs)}, 12
    )
    report_dir = Path(runs_dir) / "reports" / safe_symbol(symbol) / eval_id
    bt_metrics = {n: r.metrics for n, r in backtests.items()}
    table = add_backtest_columns(table, bt_metrics, decisions)
    metrics = {
        "eval_id": eval_id,
        "symbol": symbol,
        "horizon": ses.data.horizon,
        **settings,
        "splits": [
            {
                "train": [x.isoformat() for x in s.train_days],
                "purge": [x.isoformat() for x in s.purge_days],
                "test": [x.isoformat() for x in s.test_days],
            }
            for s in ses.splits
        ],
        "table": [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in table],
        "scores": scores,
        "baselines": {n: b.to_dict() for n, b in ses.baselines.items()},
        "backtests": bt_metrics,
        "backtests_per_split": {
            n: per_split_pnl(r.daily, [sp.test_days for sp in ses.splits]) for n, r in backtests.items()
        },
        "decisions": decisions,
        "runs": {n: str(p.resolve().relative_to(Path(runs_dir).resolve())) for n, p in dirs.items()},
        "data": ses.data.provenance,
    }
    write_json(report_dir / "metrics.json", metrics)
    write_report(report_dir / "report.html", metrics, table, {n: r.equity for n, r in backtests.items()})
    return BenchmarkResult(eval_id, report_dir, table, dirs, bt_metrics)
