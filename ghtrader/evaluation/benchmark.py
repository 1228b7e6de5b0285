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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ghtrader.evaluation.backtest import SignalConfig, backtest_config_dict, backtest_proba, load_ticks, one_hot
from ghtrader.evaluation.data import EvalData, load_eval_data, stable_hash
from ghtrader.evaluation.oracle import oracle_classes
from ghtrader.evaluation.runs import (
    read_run,
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
    make_splits,
)
from ghtrader.market.contracts import ContractBook
from ghtrader.store.lake import ParquetLake

Progress = Callable[[str], None]
TABLE_KEYS = ("accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std", "log_loss_mean", "ece_mean")


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    scores: PredictorEval
    baselines: dict[str, PredictorEval]
    latency_us_per_row: float


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


def _setup(
    lake_root: Path, symbol: str, config: EvalConfig, book: ContractBook, days: Iterable[dt.date] | None
) -> tuple[EvalData, list[Any], dict[str, PredictorEval], np.ndarray | None]:
    data = load_eval_data(lake_root, symbol, horizon=config.horizon, days=days)
    splits = make_splits(data.xy.days, config)
    rows, _ = holdout_layout(data, splits)
    k = config.oracle_k if config.oracle_k is not None else float(data.provenance["labels"]["config"]["k"])
    oracle, reason = oracle_classes(ParquetLake(lake_root), symbol, data.xy.meta.iloc[rows], k=k, book=book)
    return data, splits, evaluate_baselines(data, splits, config, oracle, reason), oracle


def train(
    lake_root: Path, symbol: str, model: str, *, runs_dir: Path, book: ContractBook,
    config: EvalConfig = EvalConfig(), params: dict[str, Any] | None = None,
    days: Iterable[dt.date] | None = None,
) -> TrainResult:
    """Walk-forward evaluate ``model``, fit it on all days, and write its run directory."""
    data, splits, baselines, _ = _setup(lake_root, symbol, config, book, days)
    ev = evaluate_model(model, data, splits, config, params)
    created = {"command": "train", "model": model, "symbol": symbol, "lake": "lake_v2"}
    run_dir = write_model_run(runs_dir, data, config, ev, baselines, created_from=created)
    return TrainResult(run_dir, ev.scores, baselines, ev.latency_us_per_row)


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
) -> BenchmarkResult:
    """Evaluate ``models`` on the same splits, backtest them, and write the comparison report."""
    from ghtrader.reports.html import write_report

    say = progress or (lambda _msg: None)
    params = params or {}
    say("loading data")
    data, splits, baselines, oracle = _setup(lake_root, symbol, config, book, days)
    rows, _ = holdout_layout(data, splits)
    keys_ns = data.xy.meta["datetime_ns"].to_numpy(np.int64)[rows]
    ticks = load_ticks(ParquetLake(lake_root), symbol, [d for s in splits for d in s.test_days])
    evals: dict[str, ModelEval] = {}
    run_dirs: dict[str, Path] = {}
    backtests: dict[str, Any] = {}
    for name in models:
        say(f"walk-forward {name}")
        ev = evaluate_model(name, data, splits, config, params.get(name))
        created = {"command": "benchmark", "models": list(models), "symbol": symbol}
        run_dirs[name] = write_model_run(runs_dir, data, config, ev, baselines, created_from=created)
        evals[name] = ev
        say(f"backtest {name}")
        proba = ev.predictions[["p_down", "p_flat", "p_up"]].to_numpy()
        backtests[name] = backtest_proba(ticks, keys_ns, proba, book=book, signal=signal, config=backtest_config)
    if oracle is not None:
        backtests["oracle"] = backtest_proba(ticks, keys_ns, one_hot(oracle), book=book, signal=signal,
                                             config=backtest_config)
    table = [_row(n, "model", e.scores, e.latency_us_per_row) for n, e in evals.items()]
    table += [_row(n, "baseline" if n == "majority" else "reference", b) for n, b in baselines.items()]
    settings = {
        "models": {n: e.params for n, e in evals.items()},
        "config": config.to_dict(),
        "signal": signal.to_dict(),
        "backtest": backtest_config_dict(backtest_config),
    }
    eval_id = stable_hash({**settings, "data": data.data_hash, "symbol": symbol}, 12)
    report_dir = Path(runs_dir) / "reports" / safe_symbol(symbol) / eval_id
    bt_metrics = {n: r.metrics for n, r in backtests.items()}
    metrics = {
        "eval_id": eval_id,
        "symbol": symbol,
        "horizon": data.horizon,
        **settings,
        "splits": [
            {"train": [d.isoformat() for d in s.train_days], "purge": [d.isoformat() for d in s.purge_days],
             "test": [d.isoformat() for d in s.test_days]}
            for s in splits
        ],
        "table": [{k: v for k, v in r.items() if k != "latency_us_per_row"} for r in table],
        "scores": {n: {**scalar_metrics(e.scores), "per_split": e.scores.per_split, "pooled": e.scores.pooled}
                   for n, e in evals.items()},
        "baselines": {n: b.to_dict() for n, b in baselines.items()},
        "backtests": bt_metrics,
        "runs": {n: str(p.relative_to(runs_dir)) for n, p in run_dirs.items()},
        "data": data.provenance,
    }
    write_json(report_dir / "metrics.json", metrics)
    write_json(report_dir / "timing.json", {n: {"latency_us_per_row": e.latency_us_per_row,
                                                  "fit_seconds": e.fit_seconds} for n, e in evals.items()})
    say("report")
    write_report(report_dir / "report.html", metrics, table, {n: r.equity for n, r in backtests.items()})
    return BenchmarkResult(eval_id, report_dir, table, run_dirs, bt_metrics)


def compare(run_dirs: Sequence[Path]) -> list[dict[str, Any]]:
    """One table of saved runs: a model run gives one row, an evaluation gives all its rows."""
    out: list[dict[str, Any]] = []
    for d in run_dirs:
        m = read_run(Path(d))
        if "table" in m:  # an evaluation (benchmark) directory
            for row in m["table"]:
                bt = m.get("backtests", {}).get(row["name"], {})
                out.append({"run": str(d), **row, "net_pnl": bt.get("net_pnl"), "sharpe": bt.get("sharpe")})
            continue
        row = {"run": str(d), "name": m["model"], "kind": "model", "available": True, "reason": None}
        row.update({k: m["summary"].get(k) for k in TABLE_KEYS})
        if "timing" in m:
            row["latency_us_per_row"] = m["timing"].get("latency_us_per_row")
        out.append(row)
        for bname, b in m.get("baselines", {}).items():
            base = {"run": str(d), "name": bname, "kind": "baseline" if bname == "majority" else "reference",
                    "available": b["available"], "reason": b["reason"]}
            out.append(base | {k: b["summary"].get(k) for k in TABLE_KEYS})
    return out
