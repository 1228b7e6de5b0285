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
from ghtrader.evaluation.runs import read_run, scalar_metrics, write_model_run
from ghtrader.evaluation.session import (
    TABLE_KEYS,
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
__all__ = ["BenchmarkResult", "TrainResult", "benchmark", "compare", "train"]


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
    tier2: Tier2Option = True,
) -> BenchmarkResult:
    """Evaluate ``models`` on the same splits, backtest them, and write the comparison report."""
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
    table = [
        row(n, "model", e.scores, e.latency_us_per_row) | {"train_seconds": float(sum(e.fit_seconds))}
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
            n: {"latency_us_per_row": e.latency_us_per_row, "fit_seconds": e.fit_seconds}
            for n, e in evals.items()
        },
        factor_links=True,
    )


def compare(run_dirs: Sequence[Path]) -> list[dict[str, Any]]:
    """One table of saved runs: a model run gives one row, an evaluation gives all its rows."""
    out: list[dict[str, Any]] = []
    for d in run_dirs:
        m = read_run(Path(d))
        if "table" in m:  # an evaluation (benchmark) directory
            for r in m["table"]:
                bt = m.get("backtests", {}).get(r["name"], {})
                t2 = m.get("backtests_tier2", {}).get(r["name"], {})
                out.append({"run": str(d), **r, **_pnl(bt, t2)})
            continue
        r = {"run": str(d), "name": m["model"], "kind": "model", "available": True, "reason": None}
        r.update({k: m["summary"].get(k) for k in TABLE_KEYS})
        if "timing" in m:
            r["latency_us_per_row"] = m["timing"].get("latency_us_per_row")
        out.append(r | _pnl(m.get("backtest") or {}, m.get("backtest_tier2") or {}))
        for bname, b in m.get("baselines", {}).items():
            base = {
                "run": str(d),
                "name": bname,
                "kind": "baseline" if bname == "majority" else "reference",
                "available": b["available"],
                "reason": b["reason"],
            }
            out.append(base | {k: b.get(k) for k in TABLE_KEYS})
    return out


def _pnl(tier1: dict[str, Any], tier2: dict[str, Any]) -> dict[str, Any]:
    return {
        "net_pnl": tier1.get("net_pnl"),
        "sharpe": tier1.get("sharpe"),
        "tier2_net_pnl": tier2.get("net_pnl"),
    }
