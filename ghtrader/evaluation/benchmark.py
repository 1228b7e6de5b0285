"""``train``, ``benchmark`` and ``compare``: walk-forward runs, baselines, backtests and the report.

Every comparison carries the majority-class baseline and the oracle reference (or the reason it is
unavailable) and backtests every strategy in tier 1 and, by default, tier 2 (``ghtrader.evaluation.tiers``:
the same target positions through latency and queue position). A benchmark writes each model's run
directory (``ghtrader.evaluation.runs``) and one evaluation under ``runs_dir/reports/<symbol>/<eval_id>/``
(``report.html``, ``metrics.json``, ``timing.json``); ``eval_id`` hashes the models and params, configs and data hash, so a rerun on the
same data lands in the same place with byte-identical ``metrics.json``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghtrader.evaluation.backtest import SignalConfig, TierBacktest
from ghtrader.evaluation.compare import TABLE_KEYS, compare
from ghtrader.evaluation.latency import batch1_latency
from ghtrader.evaluation.runs import scalar_metrics, write_model_run
from ghtrader.evaluation.session import (
    TIMING_KEYS,
    BenchmarkResult,
    Session,
    decide_and_backtest,
    oracle_backtest,
    row,
    setup,
    write_evaluation,
)
from ghtrader.evaluation.tiers import Tier2Option
from ghtrader.evaluation.walkforward import EvalConfig, ModelEval, PredictorEval, evaluate_model
from ghtrader.market.contracts import ContractBook
from ghtrader.models.registry import make_model

Progress = Callable[[str], None]
__all__ = ["TABLE_KEYS", "TIMING_KEYS", "BenchmarkResult", "TrainResult", "benchmark", "compare", "train"]


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    scores: PredictorEval
    baselines: dict[str, PredictorEval]
    latency_us_per_row: float
    backtest: dict[str, Any]
    decision: dict[str, Any] | None = None
    backtest_tier2: dict[str, Any] | None = None


def _run_model(
    ses: Session,
    name: str,
    params: dict[str, Any] | None,
    *,
    config: EvalConfig,
    runs_dir: Path,
    book: ContractBook,
    signal: SignalConfig,
    backtest_config: Any,
    created_from: dict[str, Any],
) -> tuple[ModelEval, Path, TierBacktest, dict[str, Any]]:
    """Walk-forward one model, tune its thresholds, backtest its test predictions, write its run dir."""
    ev = evaluate_model(name, ses.data, ses.splits, config, params)
    decision, bt = decide_and_backtest(ses, ev, book=book, signal=signal, backtest_config=backtest_config)
    run_dir = write_model_run(
        runs_dir,
        ses.data,
        config,
        ev,
        ses.baselines,
        backtest=bt.tier1.metrics,
        backtest_tier2=bt.tier2,
        tier2_seconds=bt.tier2_seconds,
        settings=ses.settings,
        created_from=created_from,
        decision=decision,
    )
    return ev, run_dir, bt, decision


def train(
    lake_root: Path,
    symbol: str,
    model: str,
    *,
    runs_dir: Path,
    book: ContractBook,
    config: EvalConfig = EvalConfig(),
    params: dict[str, Any] | None = None,
    days: Iterable[dt.date] | None = None,
    signal: SignalConfig = SignalConfig(),
    backtest_config: Any = None,
    feature_set: str | None = None,
    tier2: Tier2Option = True,
) -> TrainResult:
    """Walk-forward evaluate and backtest ``model``, fit it on all days, and write its run directory.

    ``feature_set`` (``core`` | ``full``; None = every factor the lake holds) is recorded in the artifact.
    ``tier2``: also backtest in tier 2 (True: default knobs, a ``Tier2Config``, or False: tier 1 only).
    """
    make_model(model, params)  # unknown names / params fail before any data is read
    ses = setup(lake_root, symbol, config, book, days, signal, backtest_config, feature_set, tier2)
    created = {"command": "train", "model": model, "symbol": symbol}
    ev, run_dir, bt, decision = _run_model(
        ses,
        model,
        params,
        config=config,
        runs_dir=runs_dir,
        book=book,
        signal=signal,
        backtest_config=backtest_config,
        created_from=created,
    )
    return TrainResult(
        run_dir, ev.scores, ses.baselines, ev.latency_us_per_row, bt.tier1.metrics, decision, bt.tier2
    )


def benchmark(
    lake_root: Path,
    symbol: str,
    models: Sequence[str],
    *,
    runs_dir: Path,
    book: ContractBook,
    config: EvalConfig = EvalConfig(),
    params: dict[str, dict[str, Any]] | None = None,
    days: Iterable[dt.date] | None = None,
    signal: SignalConfig = SignalConfig(),
    backtest_config: Any = None,
    progress: Progress | None = None,
    feature_set: str | None = None,
    latency_calls: int = 300,
    tier2: Tier2Option = True,
) -> BenchmarkResult:
    """Evaluate ``models`` on the same splits, backtest them, and write the comparison report.

    The table adds, per model, its backtest (net PnL after fees, fees, trades), the per-split tuned
    thresholds with their source, and batch-1 latency over ``latency_calls`` single-input calls
    (``ghtrader.evaluation.latency``: onnxruntime for deep models, native for tabular ones); the report
    sets tier 1 beside tier 2 (``tier2``: True = default knobs, a ``Tier2Config``, False = tier 1 only).
    """
    say = progress or (lambda _msg: None)
    params = params or {}
    for name in models:
        make_model(name, params.get(name))  # unknown names / params fail before any data is read
    say("loading data")
    ses = setup(lake_root, symbol, config, book, days, signal, backtest_config, feature_set, tier2)
    evals: dict[str, ModelEval] = {}
    run_dirs: dict[str, Path] = {}
    backtests: dict[str, TierBacktest] = {}
    decisions: dict[str, Any] = {}
    created = {"command": "benchmark", "models": list(models), "symbol": symbol}
    for name in models:
        say(f"walk-forward {name}")
        evals[name], run_dirs[name], backtests[name], decisions[name] = _run_model(
            ses,
            name,
            params.get(name),
            config=config,
            runs_dir=runs_dir,
            book=book,
            signal=signal,
            backtest_config=backtest_config,
            created_from=created,
        )
    if ses.oracle is not None:
        backtests["oracle"] = oracle_backtest(ses, book, signal, backtest_config)
    say("batch-1 latency")
    latency = {
        n: batch1_latency(e.final_model, e.latency_sample, calls=latency_calls) for n, e in evals.items()
    }
    table = [
        row(n, "model", e.scores, e.latency_us_per_row)
        | latency[n]
        | {"train_seconds": float(sum(e.fit_seconds))}
        for n, e in evals.items()
    ]
    say("report")
    return write_evaluation(
        ses,
        symbol,
        runs_dir,
        models={n: e.params for n, e in evals.items()},
        config=config,
        table=table,
        scores={
            n: {**scalar_metrics(e.scores), "per_split": e.scores.per_split, "pooled": e.scores.pooled}
            for n, e in evals.items()
        },
        backtests=backtests,
        decisions=decisions,
        run_dirs=run_dirs,
        timing={
            n: {"latency_us_per_row": e.latency_us_per_row, "fit_seconds": e.fit_seconds, **latency[n]}
            for n, e in evals.items()
        },
        factor_links=True,
    )
