"""What every model of one evaluation shares (rows, splits, baselines, oracle, test ticks, tier-2
snapshots), the backtests run on it, and the evaluation's outputs.

``setup`` loads it once; ``decide_and_backtest`` / ``oracle_backtest`` backtest a strategy in tier 1
and (by default) tier 2 on the same target positions; ``write_evaluation`` writes ``metrics.json``
(deterministic), ``timing.json`` (machine-dependent) and ``report.html`` under
``runs_dir/reports/<symbol>/<eval_id>/``. Used by ``benchmark`` / ``train`` and by the DAG's
``evaluate`` (``from_runs``), so both render the same report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ghtrader.evaluation.backtest import (
    TICK_COLUMNS,
    SignalConfig,
    TierBacktest,
    backtest_config_dict,
    backtest_proba,
    load_ticks,
    one_hot,
)
from ghtrader.evaluation.compare import TABLE_KEYS
from ghtrader.evaluation.data import EvalData, load_eval_data, stable_hash
from ghtrader.evaluation.decision import ORACLE_THRESHOLD, thresholds_per_tick, tune_decisions
from ghtrader.evaluation.ladder import add_backtest_columns, per_split_pnl
from ghtrader.evaluation.latency import KEYS as LATENCY_KEYS
from ghtrader.evaluation.oracle import oracle_classes
from ghtrader.evaluation.runs import safe_symbol, write_json
from ghtrader.evaluation.tiers import Tier2Option, Tier2Setup, setup_tier2, tier2_config
from ghtrader.evaluation.walkforward import (
    EvalConfig,
    ModelEval,
    PredictorEval,
    evaluate_baselines,
    holdout_layout,
    inner_tail,
    make_splits,
)
from ghtrader.market.contracts import ContractBook
from ghtrader.store.lake import ParquetLake

# machine-dependent: kept out of metrics.json (timing.json holds them)
TIMING_KEYS = ("latency_us_per_row", "train_seconds", *LATENCY_KEYS)


@dataclass(frozen=True)
class BenchmarkResult:
    eval_id: str
    report_dir: Path
    table: list[dict[str, Any]]
    run_dirs: dict[str, Path]
    backtests: dict[str, dict[str, Any]] = field(default_factory=dict)
    backtests_tier2: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        return self.report_dir / "report.html"


@dataclass(frozen=True)
class Session:
    """What every model of one evaluation shares: rows, splits, baselines, oracle and test ticks."""

    data: EvalData
    splits: list[Any]
    baselines: dict[str, PredictorEval]
    oracle: np.ndarray | None
    ticks: Any
    keys_ns: np.ndarray
    settings: dict[str, Any]
    tune_ticks: Any = None  # ticks of the inner tuning days (decision thresholds)
    tier2: Tier2Setup | None = None  # the test ticks prepared for tier 2 (None: tier 1 only)


def setup(
    lake_root: Path,
    symbol: str,
    config: EvalConfig,
    book: ContractBook,
    days: Iterable[dt.date] | None,
    signal: SignalConfig,
    backtest_config: Any,
    feature_set: str | None = None,
    tier2: Tier2Option = True,
) -> Session:
    lake = ParquetLake(lake_root)
    t2cfg = tier2_config(tier2)
    data = load_eval_data(lake_root, symbol, horizon=config.horizon, days=days, feature_set=feature_set)
    splits = make_splits(data.xy.days, config)
    rows, _ = holdout_layout(data, splits)
    k = config.oracle_k if config.oracle_k is not None else float(data.provenance["labels"]["config"]["k"])
    oracle, reason = oracle_classes(lake, symbol, data.xy.meta.iloc[rows], k=k, book=book)
    baselines = evaluate_baselines(data, splits, config, oracle, reason)
    ticks = load_ticks(lake, symbol, [d for s in splits for d in s.test_days], depth=t2cfg is not None)
    keys_ns = data.xy.meta["datetime_ns"].to_numpy(np.int64)[rows]
    bt = backtest_config_dict(backtest_config)
    t2 = setup_tier2(ticks, book, t2cfg, flatten_daily=bool(bt["flatten_daily"])) if t2cfg else None
    settings = {"signal": signal.to_dict(), "backtest": bt, "tier2": t2.config.as_dict() if t2 else None}
    tune_ticks = load_ticks(lake, symbol, inner_tail(splits[0], config)[1])
    return Session(data, splits, baselines, oracle, ticks, keys_ns, settings, tune_ticks, t2)


def oracle_backtest(
    ses: Session, book: ContractBook, signal: SignalConfig, backtest_config: Any
) -> TierBacktest:
    """The oracle's backtest: one-hot probabilities trade identically at any threshold in (0, 1)."""
    assert ses.oracle is not None
    sig = signal if signal.threshold is not None else replace(signal, threshold=ORACLE_THRESHOLD)
    return backtest_proba(
        ses.ticks, ses.keys_ns, one_hot(ses.oracle), book=book, signal=sig, config=backtest_config,
        tier2=ses.tier2,
    )  # fmt: skip


def decide_and_backtest(
    ses: Session,
    ev: ModelEval,
    *,
    book: ContractBook,
    signal: SignalConfig,
    backtest_config: Any,
) -> tuple[dict[str, Any], TierBacktest]:
    """Tune thresholds inside each training fold (``decision``), then backtest the test predictions."""
    import pandas as pd

    oos = pd.concat([f for f in (ev.tuning, ev.predictions) if f is not None], ignore_index=True)
    ticks = pd.concat([ses.tune_ticks, ses.ticks[list(TICK_COLUMNS)]], ignore_index=True)
    decision = tune_decisions(
        ticks, oos, ses.splits, book=book, signal=signal, backtest_config=backtest_config
    )
    proba = ev.predictions[["p_down", "p_flat", "p_up"]].to_numpy()
    per_tick = thresholds_per_tick(ses.ticks, ses.splits, decision["per_split"])
    bt = backtest_proba(
        ses.ticks, ses.keys_ns, proba, book=book, signal=signal, config=backtest_config, thresholds=per_tick,
        tier2=ses.tier2,
    )  # fmt: skip
    return decision, bt


def row(name: str, kind: str, scores: PredictorEval, latency: float | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "kind": kind, "available": scores.available, "reason": scores.reason}
    row.update({k: scores.summary.get(k) for k in TABLE_KEYS})
    if latency is not None:
        row["latency_us_per_row"] = latency
    return row


def write_evaluation(
    ses: Session,
    symbol: str,
    runs_dir: Path,
    *,
    models: dict[str, Any],
    config: EvalConfig,
    table: list[dict[str, Any]],
    scores: dict[str, Any],
    backtests: dict[str, TierBacktest],
    decisions: dict[str, Any],
    run_dirs: dict[str, Path],
    timing: dict[str, Any],
    factor_links: bool = False,
    hash_extra: dict[str, Any] | None = None,
) -> BenchmarkResult:
    """Add the baselines to ``table``; write ``metrics.json``, ``timing.json`` and ``report.html`` (tier 1
    and tier 2 side by side) under ``runs_dir/reports/<symbol>/<eval_id>/``."""
    from ghtrader.reports.html import write_report

    bt_metrics = {n: r.tier1.metrics for n, r in backtests.items()}
    table = table + [
        row(n, "baseline" if n == "majority" else "reference", b) for n, b in ses.baselines.items()
    ]
    table = add_backtest_columns(table, bt_metrics, decisions)
    settings = {"models": models, "config": config.to_dict(), **ses.settings}
    eval_id = stable_hash(
        {**settings, "data": ses.data.data_hash, "symbol": symbol, **(hash_extra or {})}, 12
    )
    report_dir = Path(runs_dir) / "reports" / safe_symbol(symbol) / eval_id
    tier2 = {n: r.tier2 for n, r in backtests.items() if r.tier2 is not None}
    root = Path(runs_dir).resolve()
    metrics = {
        "eval_id": eval_id,
        "symbol": symbol,
        "horizon": ses.data.horizon,
        **settings,
        "splits": [
            {
                "train": [d.isoformat() for d in s.train_days],
                "purge": [d.isoformat() for d in s.purge_days],
                "test": [d.isoformat() for d in s.test_days],
            }
            for s in ses.splits
        ],
        "table": [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in table],
        "scores": scores,
        "baselines": {n: b.to_dict() for n, b in ses.baselines.items()},
        "backtests": bt_metrics,
        "backtests_per_split": {
            n: per_split_pnl(r.tier1.daily, [sp.test_days for sp in ses.splits]) for n, r in backtests.items()
        },
        "backtests_tier2": tier2,
        "decisions": decisions,
        "runs": {n: str(p.resolve().relative_to(root)) for n, p in run_dirs.items()},
        "data": ses.data.provenance,
    }
    write_json(report_dir / "metrics.json", metrics)
    t2_seconds = {n: r.tier2_seconds for n, r in backtests.items() if r.tier2_seconds is not None}
    write_json(report_dir / "timing.json", {**timing, "tier2_seconds": t2_seconds})
    equity = {n: r.tier1.equity for n, r in backtests.items()}
    links = factor_report_links(runs_dir, symbol, report_dir) if factor_links else None
    write_report(report_dir / "report.html", metrics, table, equity, links=links)
    return BenchmarkResult(eval_id, report_dir, table, run_dirs, bt_metrics, tier2)


def factor_report_links(runs_dir: Path, symbol: str, report_dir: Path) -> dict[str, str]:
    """Link to the symbol's newest ``ghtrader factors report`` (relative to ``report_dir``), if any."""
    import os

    from ghtrader.reports.factors import latest_report

    found = latest_report(runs_dir, symbol)
    return {"Factor analysis report": os.path.relpath(found, report_dir)} if found else {}
