"""``train``, ``benchmark`` and ``compare``: walk-forward runs, baselines, backtests and the report.

Every comparison carries the majority-class baseline and the oracle reference (or the reason it is
unavailable). A benchmark writes each model's run directory (``ghtrader.evaluation.runs``) and one
evaluation under ``runs_dir/reports/<symbol>/<eval_id>/`` (``report.html``, ``metrics.json``,
``timing.json``); ``eval_id`` hashes the models and params, configs and data hash, so a rerun on the
same data lands in the same place with byte-identical ``metrics.json``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ghtrader.evaluation.backtest import (
    SignalConfig,
    backtest_config_dict,
    backtest_proba,
    load_ticks,
    one_hot,
)
from ghtrader.evaluation.compare import TABLE_KEYS, compare
from ghtrader.evaluation.data import EvalData, load_eval_data, stable_hash
from ghtrader.evaluation.decision import ORACLE_THRESHOLD, thresholds_per_tick, tune_decisions
from ghtrader.evaluation.ladder import add_backtest_columns, per_split_pnl
from ghtrader.evaluation.latency import KEYS as LATENCY_KEYS
from ghtrader.evaluation.latency import batch1_latency
from ghtrader.evaluation.oracle import oracle_classes
from ghtrader.evaluation.runs import (
    safe_symbol,
    scalar_metrics,
    write_json,
    write_model_run,
)
from ghtrader.evaluation.walkforward import (
    EvalConfig,
    ModelEval,
    PredictorEval,
    evaluate_baselines,
    evaluate_model,
    holdout_layout,
    inner_tail,
    make_splits,
)
from ghtrader.market.contracts import ContractBook
from ghtrader.models.registry import make_model
from ghtrader.store.lake import ParquetLake

__all__ = ["TABLE_KEYS", "TIMING_KEYS", "BenchmarkResult", "TrainResult", "benchmark", "compare", "train"]

Progress = Callable[[str], None]
# machine-dependent: kept out of metrics.json (timing.json holds them)
TIMING_KEYS = ("latency_us_per_row", "train_seconds", *LATENCY_KEYS)


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    scores: PredictorEval
    baselines: dict[str, PredictorEval]
    latency_us_per_row: float
    backtest: dict[str, Any]
    decision: dict[str, Any] | None = None


@dataclass(frozen=True)
class BenchmarkResult:
    eval_id: str
    report_dir: Path
    table: list[dict[str, Any]]
    run_dirs: dict[str, Path]
    backtests: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        return self.report_dir / "report.html"


@dataclass(frozen=True)
class _Session:
    """What every model of one evaluation shares: rows, splits, baselines, oracle and test ticks."""

    data: EvalData
    splits: list[Any]
    baselines: dict[str, PredictorEval]
    oracle: np.ndarray | None
    ticks: Any
    keys_ns: np.ndarray
    settings: dict[str, Any]
    tune_ticks: Any = None  # ticks of the inner tuning days (decision thresholds)


def _setup(
    lake_root: Path,
    symbol: str,
    config: EvalConfig,
    book: ContractBook,
    days: Iterable[dt.date] | None,
    signal: SignalConfig,
    backtest_config: Any,
    feature_set: str | None = None,
) -> _Session:
    lake = ParquetLake(lake_root)
    data = load_eval_data(lake_root, symbol, horizon=config.horizon, days=days, feature_set=feature_set)
    splits = make_splits(data.xy.days, config)
    rows, _ = holdout_layout(data, splits)
    k = config.oracle_k if config.oracle_k is not None else float(data.provenance["labels"]["config"]["k"])
    oracle, reason = oracle_classes(lake, symbol, data.xy.meta.iloc[rows], k=k, book=book)
    baselines = evaluate_baselines(data, splits, config, oracle, reason)
    ticks = load_ticks(lake, symbol, [d for s in splits for d in s.test_days])
    keys_ns = data.xy.meta["datetime_ns"].to_numpy(np.int64)[rows]
    settings = {"signal": signal.to_dict(), "backtest": backtest_config_dict(backtest_config)}
    tune_ticks = load_ticks(lake, symbol, inner_tail(splits[0], config)[1])
    return _Session(data, splits, baselines, oracle, ticks, keys_ns, settings, tune_ticks)


def oracle_backtest(ses: _Session, book: ContractBook, signal: SignalConfig, backtest_config: Any) -> Any:
    """The oracle's backtest: one-hot probabilities trade identically at any threshold in (0, 1)."""
    assert ses.oracle is not None
    sig = signal if signal.threshold is not None else replace(signal, threshold=ORACLE_THRESHOLD)
    return backtest_proba(
        ses.ticks, ses.keys_ns, one_hot(ses.oracle), book=book, signal=sig, config=backtest_config
    )


def decide_and_backtest(
    ses: _Session,
    ev: ModelEval,
    *,
    book: ContractBook,
    signal: SignalConfig,
    backtest_config: Any,
) -> tuple[dict[str, Any], Any]:
    """Tune thresholds inside each training fold (``decision``), then backtest the test predictions."""
    import pandas as pd

    oos = pd.concat([f for f in (ev.tuning, ev.predictions) if f is not None], ignore_index=True)
    ticks = pd.concat([ses.tune_ticks, ses.ticks], ignore_index=True)
    decision = tune_decisions(
        ticks, oos, ses.splits, book=book, signal=signal, backtest_config=backtest_config
    )
    proba = ev.predictions[["p_down", "p_flat", "p_up"]].to_numpy()
    per_tick = thresholds_per_tick(ses.ticks, ses.splits, decision["per_split"])
    bt = backtest_proba(
        ses.ticks, ses.keys_ns, proba, book=book, signal=signal, config=backtest_config, thresholds=per_tick
    )
    return decision, bt


def _run_model(
    ses: _Session,
    name: str,
    params: dict[str, Any] | None,
    *,
    config: EvalConfig,
    runs_dir: Path,
    book: ContractBook,
    signal: SignalConfig,
    backtest_config: Any,
    created_from: dict[str, Any],
) -> tuple[ModelEval, Path, Any, dict[str, Any]]:
    """Walk-forward one model, tune its thresholds, backtest its test predictions, write its run dir."""
    ev = evaluate_model(name, ses.data, ses.splits, config, params)
    decision, bt = decide_and_backtest(ses, ev, book=book, signal=signal, backtest_config=backtest_config)
    run_dir = write_model_run(
        runs_dir,
        ses.data,
        config,
        ev,
        ses.baselines,
        backtest=bt.metrics,
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
) -> TrainResult:
    """Walk-forward evaluate and backtest ``model``, fit it on all days, and write its run directory.

    ``feature_set`` (``core`` | ``full``; None = every factor the lake holds) is recorded in the artifact.
    """
    make_model(model, params)  # unknown names / params fail before any data is read
    ses = _setup(lake_root, symbol, config, book, days, signal, backtest_config, feature_set)
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
    return TrainResult(run_dir, ev.scores, ses.baselines, ev.latency_us_per_row, bt.metrics, decision)


def _row(name: str, kind: str, scores: PredictorEval, latency: float | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "kind": kind, "available": scores.available, "reason": scores.reason}
    row.update({k: scores.summary.get(k) for k in TABLE_KEYS})
    if latency is not None:
        row["latency_us_per_row"] = latency
    return row


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
) -> BenchmarkResult:
    """Evaluate ``models`` on the same splits, backtest them, and write the comparison report.

    The table adds, per model, its backtest (net PnL after fees, fees, trades), the per-split tuned
    thresholds with their source, and batch-1 latency over ``latency_calls`` single-input calls
    (``ghtrader.evaluation.latency``: onnxruntime for deep models, native for tabular ones).
    """
    from ghtrader.reports.html import write_report

    say = progress or (lambda _msg: None)
    params = params or {}
    for name in models:
        make_model(name, params.get(name))  # unknown names / params fail before any data is read
    say("loading data")
    ses = _setup(lake_root, symbol, config, book, days, signal, backtest_config, feature_set)
    data, splits, baselines = ses.data, ses.splits, ses.baselines
    evals: dict[str, ModelEval] = {}
    run_dirs: dict[str, Path] = {}
    backtests: dict[str, Any] = {}
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
        _row(n, "model", e.scores, e.latency_us_per_row)
        | latency[n]
        | {"train_seconds": float(sum(e.fit_seconds))}
        for n, e in evals.items()
    ]
    table += [_row(n, "baseline" if n == "majority" else "reference", b) for n, b in baselines.items()]
    table = add_backtest_columns(table, {n: r.metrics for n, r in backtests.items()}, decisions)
    settings = {"models": {n: e.params for n, e in evals.items()}, "config": config.to_dict(), **ses.settings}
    eval_id = stable_hash({**settings, "data": data.data_hash, "symbol": symbol}, 12)
    report_dir = Path(runs_dir) / "reports" / safe_symbol(symbol) / eval_id
    bt_metrics = {n: r.metrics for n, r in backtests.items()}
    metrics = {
        "eval_id": eval_id,
        "symbol": symbol,
        "horizon": data.horizon,
        **settings,
        "splits": [
            {
                "train": [d.isoformat() for d in s.train_days],
                "purge": [d.isoformat() for d in s.purge_days],
                "test": [d.isoformat() for d in s.test_days],
            }
            for s in splits
        ],
        "table": [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in table],
        "scores": {
            n: {**scalar_metrics(e.scores), "per_split": e.scores.per_split, "pooled": e.scores.pooled}
            for n, e in evals.items()
        },
        "baselines": {n: b.to_dict() for n, b in baselines.items()},
        "backtests": bt_metrics,
        "backtests_per_split": {
            n: per_split_pnl(r.daily, [sp.test_days for sp in splits]) for n, r in backtests.items()
        },
        "decisions": decisions,
        "runs": {n: str(p.relative_to(runs_dir)) for n, p in run_dirs.items()},
        "data": data.provenance,
    }
    write_json(report_dir / "metrics.json", metrics)
    write_json(
        report_dir / "timing.json",
        {
            n: {"latency_us_per_row": e.latency_us_per_row, "fit_seconds": e.fit_seconds, **latency[n]}
            for n, e in evals.items()
        },
    )
    say("report")
    write_report(
        report_dir / "report.html",
        metrics,
        table,
        {n: r.equity for n, r in backtests.items()},
        links=factor_report_links(runs_dir, symbol, report_dir),
    )
    return BenchmarkResult(eval_id, report_dir, table, run_dirs, bt_metrics)


def factor_report_links(runs_dir: Path, symbol: str, report_dir: Path) -> dict[str, str]:
    """Link to the symbol's newest ``ghtrader factors report`` (relative to ``report_dir``), if any."""
    import os

    from ghtrader.reports.factors import latest_report

    found = latest_report(runs_dir, symbol)
    return {"Factor analysis report": os.path.relpath(found, report_dir)} if found else {}
